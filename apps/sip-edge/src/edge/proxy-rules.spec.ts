import { parseProxyTimeout } from './proxy-rules';

describe('parseProxyTimeout (drachtio ProxyCore::setProvisionalTimeout syntax)', () => {
  it.each([
    ['300ms', 300],
    ['5s', 5000],
    ['', 0],
    ['5', 0],
    ['1.5s', 0],
    ['-3s', 0],
    ['5 s', 0],
    ['99999999999s', 0],
  ])('%p → %p ms', (text, ms) => expect(parseProxyTimeout(text)).toBe(ms));
});
