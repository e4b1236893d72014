import { registerDecorator, ValidationOptions } from 'class-validator';

/** Byte length in UTF-8, which is what bcrypt counts (72 at most). */
export function MaxUtf8Bytes(max: number, options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'maxUtf8Bytes',
      target: object.constructor,
      propertyName,
      constraints: [max],
      options: { message: `The ${propertyName} field must not be longer than ${max} bytes.`, ...options },
      validator: {
        validate: (value: unknown) => typeof value === 'string' && Buffer.byteLength(value, 'utf8') <= max,
      },
    });
}
