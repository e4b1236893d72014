import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { AuditModule } from '../audit/audit.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwtAuthGuard } from './guards/jwt-auth.guard';
import { PermissionsGuard } from './guards/permissions.guard';
import { JwksController } from './jwks.controller';
import { JwtStrategy } from './jwt.strategy';
import { SigningKeysService } from './keys/signing-keys.service';
import { LoginThrottleService } from './login-throttle.service';
import { PasswordService } from './password.service';
import { ProfileCacheService } from './profile-cache.service';
import { RevocationService } from './revocation.service';
import { SessionsService } from './sessions.service';
import { TokensService } from './tokens.service';

@Module({
  imports: [PassportModule.register({ session: false }), AuditModule],
  controllers: [AuthController, JwksController],
  providers: [
    AuthService,
    SigningKeysService,
    TokensService,
    RevocationService,
    SessionsService,
    PasswordService,
    LoginThrottleService,
    JwtStrategy,
    ProfileCacheService,
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: PermissionsGuard },
  ],
  exports: [PasswordService, SessionsService, ProfileCacheService, RevocationService],
})
export class AuthModule {}
