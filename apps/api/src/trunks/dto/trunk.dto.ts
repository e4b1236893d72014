import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsString, Max, MaxLength, Min, registerDecorator } from 'class-validator';
import { isIP } from 'node:net';
import { CidrList, Name, Present, PresentOrNull, trim } from '../../extensions/telephony-validation';
import { MaxUtf8Bytes } from '../../http/validators';

export const TRUNK_TRANSPORTS = ['udp', 'tcp', 'tls'] as const;
export const TRUNK_STATUSES = ['active', 'disabled'] as const;
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

const lower = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;

export function isHost(value: unknown): boolean {
  return typeof value === 'string' && (isIP(value) !== 0 || HOSTNAME.test(value));
}

function Host() {
  return (target: object, key: string) => {
    Transform(lower)(target, key);
    registerDecorator({
      name: 'isHost',
      target: target.constructor,
      propertyName: key,
      options: { message: 'The host field must be a hostname or an IP address.' },
      validator: { validate: isHost },
    });
  };
}

function Port() {
  return (target: object, key: string) => {
    IsInt({ message: 'The port field must be an integer.' })(target, key);
    Min(1, { message: 'The port field must be between 1 and 65535.' })(target, key);
    Max(65535, { message: 'The port field must be between 1 and 65535.' })(target, key);
  };
}

function AuthUsername() {
  return (target: object, key: string) => {
    Transform(trim)(target, key);
    IsString({ message: 'The auth_username field must be a string.' })(target, key);
    IsNotEmpty({ message: 'The auth_username field must not be empty; send null to clear it.' })(target, key);
    MaxLength(255, { message: 'The auth_username field must not be greater than 255 characters.' })(
      target,
      key,
    );
  };
}

function AuthPassword() {
  return (target: object, key: string) => {
    IsString({ message: 'The auth_password field must be a string.' })(target, key);
    IsNotEmpty({ message: 'The auth_password field must not be empty; send null to clear it.' })(target, key);
    MaxUtf8Bytes(255)(target, key);
  };
}

function MaxChannels() {
  return (target: object, key: string) => {
    IsInt({ message: 'The max_channels field must be an integer.' })(target, key);
    Min(1, { message: 'The max_channels field must be between 1 and 100000.' })(target, key);
    Max(100_000, { message: 'The max_channels field must be between 1 and 100000.' })(target, key);
  };
}

function RegisterExpires() {
  return (target: object, key: string) => {
    IsInt({ message: 'The register_expires field must be an integer.' })(target, key);
    Min(60, { message: 'The register_expires field must be between 60 and 86400.' })(target, key);
    Max(86_400, { message: 'The register_expires field must be between 60 and 86400.' })(target, key);
  };
}

function AllowUnanchoredMedia() {
  return (target: object, key: string) => {
    Present()(target, key);
    IsBoolean({ message: 'The allow_unanchored_media field must be true or false.' })(target, key);
  };
}

const DOCS = {
  allow_unanchored_media: {
    type: Boolean,
    default: false,
    description:
      "When rtpengine is unreachable, this trunk's calls go on with media end to end instead of getting 503 (no SRTP bridging, no RTP timeout, no media quality)",
  },
  host: { example: 'sip.carrier.example', description: 'Hostname or IP address of the carrier' },
  port: { minimum: 1, maximum: 65535, description: 'Default 5061 for tls, 5060 otherwise' },
  transport: { enum: TRUNK_TRANSPORTS, description: 'Default tls' },
  auth_username: { type: String, nullable: true, maxLength: 255 },
  auth_password: {
    type: String,
    format: 'password',
    nullable: true,
    writeOnly: true,
    description:
      'Write-only: stored encrypted (AES-256-GCM) and never returned; see has_auth_password. null clears it.',
  },
  inbound_cidrs: {
    type: String,
    isArray: true,
    example: ['192.0.2.0/24'],
    description: 'Networks the carrier sends calls from',
  },
  max_channels: {
    type: Number,
    nullable: true,
    minimum: 1,
    maximum: 100_000,
    description: 'null for no limit',
  },
  status: { enum: TRUNK_STATUSES, description: 'Default active' },
  register: {
    type: Boolean,
    description: 'Register upstream with auth_username as the address of record (needs auth_username). Default false',
  },
  register_expires: { minimum: 60, maximum: 86_400, description: 'Registration lifetime asked for, in seconds. Default 600' },
};

export class CreateTrunkDto {
  @ApiProperty({ example: 'Carrier A', maxLength: 255, description: 'Unique in your tenant' })
  @Name()
  name!: string;

  @ApiProperty(DOCS.host)
  @Host()
  host!: string;

  @ApiPropertyOptional(DOCS.port)
  @Present()
  @Port()
  port?: number;

  @ApiPropertyOptional(DOCS.transport)
  @Present()
  @IsIn(TRUNK_TRANSPORTS, { message: 'The selected transport is invalid. Allowed: udp, tcp, tls.' })
  transport?: (typeof TRUNK_TRANSPORTS)[number];

  @ApiPropertyOptional(DOCS.auth_username)
  @PresentOrNull()
  @AuthUsername()
  auth_username?: string | null;

  @ApiPropertyOptional(DOCS.auth_password)
  @PresentOrNull()
  @AuthPassword()
  auth_password?: string | null;

  @ApiPropertyOptional(DOCS.inbound_cidrs)
  @Present()
  @CidrList()
  inbound_cidrs?: string[];

  @ApiPropertyOptional(DOCS.max_channels)
  @PresentOrNull()
  @MaxChannels()
  max_channels?: number | null;

  @ApiPropertyOptional(DOCS.status)
  @Present()
  @IsIn(TRUNK_STATUSES, { message: 'The selected status is invalid. Allowed: active, disabled.' })
  status?: (typeof TRUNK_STATUSES)[number];

  @ApiPropertyOptional(DOCS.register)
  @Present()
  @IsBoolean({ message: 'The register field must be true or false.' })
  register?: boolean;

  @ApiPropertyOptional(DOCS.register_expires)
  @Present()
  @RegisterExpires()
  register_expires?: number;
  @ApiPropertyOptional(DOCS.allow_unanchored_media)
  @AllowUnanchoredMedia()
  allow_unanchored_media?: boolean;
}

/** PATCH and PUT alike: every field optional, absent fields unchanged, null clears a nullable one. */
export class UpdateTrunkDto {
  @ApiPropertyOptional({ example: 'Carrier A', maxLength: 255 })
  @Present()
  @Name()
  name?: string;

  @ApiPropertyOptional(DOCS.host)
  @Present()
  @Host()
  host?: string;

  @ApiPropertyOptional(DOCS.port)
  @Present()
  @Port()
  port?: number;

  @ApiPropertyOptional(DOCS.transport)
  @Present()
  @IsIn(TRUNK_TRANSPORTS, { message: 'The selected transport is invalid. Allowed: udp, tcp, tls.' })
  transport?: (typeof TRUNK_TRANSPORTS)[number];

  @ApiPropertyOptional(DOCS.auth_username)
  @PresentOrNull()
  @AuthUsername()
  auth_username?: string | null;

  @ApiPropertyOptional(DOCS.auth_password)
  @PresentOrNull()
  @AuthPassword()
  auth_password?: string | null;

  @ApiPropertyOptional(DOCS.inbound_cidrs)
  @Present()
  @CidrList()
  inbound_cidrs?: string[];

  @ApiPropertyOptional(DOCS.max_channels)
  @PresentOrNull()
  @MaxChannels()
  max_channels?: number | null;

  @ApiPropertyOptional(DOCS.status)
  @Present()
  @IsIn(TRUNK_STATUSES, { message: 'The selected status is invalid. Allowed: active, disabled.' })
  status?: (typeof TRUNK_STATUSES)[number];

  @ApiPropertyOptional(DOCS.register)
  @Present()
  @IsBoolean({ message: 'The register field must be true or false.' })
  register?: boolean;

  @ApiPropertyOptional(DOCS.register_expires)
  @Present()
  @RegisterExpires()
  register_expires?: number;
  @ApiPropertyOptional(DOCS.allow_unanchored_media)
  @AllowUnanchoredMedia()
  allow_unanchored_media?: boolean;
}
