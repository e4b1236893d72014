import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../http/openapi';
import { presentUser, UserResource } from '../users/user.presenter';
import { AuthService } from './auth.service';
import { ProfileCacheService } from './profile-cache.service';
import { LoginDto, RefreshDto, TokenPairDto } from './dto/auth.dto';
import { CurrentPrincipal, Meta, Public } from './guards/auth.decorators';
import type { Principal, RequestMeta } from './principal';

@ApiTags('auth')
@Controller('api/v1/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly profiles: ProfileCacheService,
  ) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange email and password for an access token and a refresh token' })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiErrors(422, 429)
  login(@Body() dto: LoginDto, @Meta() meta: RequestMeta): Promise<TokenPairDto> {
    return this.auth.login(dto, meta);
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({ summary: 'Rotate a refresh token; reuse of a spent token revokes the whole session' })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiErrors(401, 422)
  refresh(@Body() dto: RefreshDto, @Meta() meta: RequestMeta): Promise<TokenPairDto> {
    return this.auth.refresh(dto.refresh_token, meta);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End this session: its refresh tokens and this access token stop working' })
  @ApiErrors(401)
  logout(@CurrentPrincipal() p: Principal, @Meta() meta: RequestMeta): Promise<void> {
    return this.auth.logout(p, meta);
  }

  @Post('logout-all')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End every session of the current user' })
  @ApiErrors(401)
  logoutAll(@CurrentPrincipal() p: Principal, @Meta() meta: RequestMeta): Promise<void> {
    return this.auth.logoutAll(p, meta);
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The current user, with roles and permissions' })
  @ApiOkResponse({ schema: { properties: { data: { $ref: '#/components/schemas/UserResource' } } } })
  @ApiErrors(401)
  async me(@CurrentPrincipal() p: Principal): Promise<{ data: UserResource & { permissions: string[] } }> {
    const user = await this.profiles.get(p.tenantId, p.userId);
    return { data: { ...presentUser(user), permissions: [...p.permissions].sort() } };
  }
}
