import { UnprocessableEntityException, ValidationError, ValidationPipe } from '@nestjs/common';

export type FieldErrors = Record<string, string[]>;

/** Laravel's summary line: the first message, plus "(and N more error[s])". */
export function summarise(errors: FieldErrors): string {
  const all = Object.values(errors).flat();
  if (all.length === 0) return 'The given data was invalid.';
  const more = all.length - 1;
  return more === 0 ? all[0] : `${all[0]} (and ${more} more error${more === 1 ? '' : 's'})`;
}

export function unprocessable(errors: FieldErrors): UnprocessableEntityException {
  return new UnprocessableEntityException({ message: summarise(errors), errors });
}

function flatten(errors: ValidationError[], parent = '', out: FieldErrors = {}): FieldErrors {
  for (const e of errors) {
    const field = parent ? `${parent}.${e.property}` : e.property;
    if (e.constraints) {
      out[field] = Object.entries(e.constraints).map(([kind, msg]) =>
        kind === 'whitelistValidation' ? `The ${field} field is not allowed.` : msg,
      );
    }
    if (e.children?.length) flatten(e.children, field, out);
  }
  return out;
}

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => unprocessable(flatten(errors)),
  });
}
