/** The API's shared Redis connection (commands only; subscriptions use a connection of their own). */
export const REDIS = Symbol('REDIS');
