import { parseRatesCsv } from './rates-csv';

describe('parseRatesCsv', () => {
  it('parses lines with a header, comments, blank lines, CRLF and default columns', () => {
    const csv = '\uFEFFprefix,per_minute,first_increment_seconds,connection_fee\r\n# UK\r\n44,0.01,60,0\r\n\r\n+447, 0.05 ,1,0.02\r\n"33",0.02\r\n';
    expect(parseRatesCsv(csv)).toEqual({
      rates: [
        { prefix: '+44', perMinute: 0.01, firstIncrementSeconds: 60, connectionFee: 0 },
        { prefix: '+447', perMinute: 0.05, firstIncrementSeconds: 1, connectionFee: 0.02 },
        { prefix: '+33', perMinute: 0.02, firstIncrementSeconds: 60, connectionFee: 0 },
      ],
    });
  });

  it('reports every bad line by its number', () => {
    const csv = ['prefix,per_minute', '44,0.01', 'x1,0.01', '45,-1,60,0', '46,0.1,0,0', '47', '+44,0.2'].join('\n');
    const result = parseRatesCsv(csv);
    expect(result).toEqual({
      errors: {
        'line.3': ['The prefix must be 1 to 15 digits, optionally after a +.'],
        'line.4': ['The per_minute must be a non-negative number with at most 6 decimals.'],
        'line.5': ['The first_increment_seconds must be an integer from 1 to 3600.'],
        'line.6': [
          'Expected 2 to 4 columns: prefix,per_minute,first_increment_seconds,connection_fee.',
          'The per_minute must be a non-negative number with at most 6 decimals.',
        ],
        'line.7': ['The prefix +44 is already on line 2.'],
      },
    });
  });

  it('refuses an empty file', () => {
    expect(parseRatesCsv('prefix,per_minute\n\n')).toEqual({ errors: { csv: ['The file has no rate lines.'] } });
  });
});
