/**
 * The access-token deny-list the API checks on every request: a revoked session's sid (its refresh
 * token family) is listed until the last access token it could have minted expires. The API and the
 * fraud worker (which revokes sessions too) write the same keys under the API's REDIS_KEY_PREFIX.
 */
export const deniedSessionKey = (redisKeyPrefix: string, sid: string) => `${redisKeyPrefix}auth:deny:sid:${sid}`;
export const deniedTokenKey = (redisKeyPrefix: string, jti: string) => `${redisKeyPrefix}auth:deny:jti:${jti}`;
