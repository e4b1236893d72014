import type { FastifyInstance } from 'fastify';
import { unprocessable } from './validation';

export interface JsonLimits {
  maxDepth: number;
  maxKeys: number;
}

/** Far above any request of this API, far below what recursive validation can survive. */
export const JSON_LIMITS: JsonLimits = { maxDepth: 32, maxKeys: 10_000 };

/**
 * Which limit a JSON text breaks, found in one pass over its characters and without parsing it:
 * nesting depth (objects and arrays) and the number of object keys in the whole document.
 * Malformed text is not judged here; the parser that runs next rejects it.
 */
export function jsonShapeProblem(text: string, limits: JsonLimits): 'depth' | 'keys' | null {
  let depth = 0;
  let keys = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limits.maxDepth) return 'depth';
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x3a && ++keys > limits.maxKeys) return 'keys'; // every key is followed by one ':' outside strings
  }
  return null;
}

/**
 * Replaces Fastify's JSON parser with one that refuses bodies nested too deeply or with too many
 * keys before anything recursive (the parser, class-transformer, class-validator) sees them:
 * a few KB of `[[[[…` used to overflow the stack in validation and answer 500.
 */
export function registerJsonParser(fastify: FastifyInstance, limits: JsonLimits = JSON_LIMITS): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (req, raw, done) => {
    const body = typeof raw === 'string' ? raw : raw.toString('utf8');
    const problem = jsonShapeProblem(body, limits);
    if (problem === 'depth')
      return done(unprocessable({ body: [`The request body must not be nested more than ${limits.maxDepth} levels deep.`] }), undefined);
    if (problem === 'keys')
      return done(unprocessable({ body: [`The request body must not have more than ${limits.maxKeys} keys.`] }), undefined);
    parse(req, body, done);
  });
}
