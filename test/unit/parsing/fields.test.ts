import { expect } from 'chai';
import {
  isForwardedForList,
  isIpv6Address,
  isPublicAddress,
  readForwardedFor,
  setRequestLine,
  splitAddressAndPort,
} from '../../../src/domain/parsing/fields.js';

describe('fields', () => {
  describe('setRequestLine', () => {
    it('keeps a request whose first word has no letter whole in url.original (as S3, ALB and proxies log unreadable requests)', () => {
      for (const request of ['- - - ', '- http://my-lb:80- -', '_ / HTTP/1.1']) {
        const attributes: Record<string, unknown> = {};
        setRequestLine(attributes as never, request);
        expect(attributes, request).to.deep.equal({ 'url.original': request });
      }
    });

    it('still reads methods with a dash or an underscore', () => {
      const attributes: Record<string, unknown> = {};
      setRequestLine(attributes as never, 'M-SEARCH * HTTP/1.1');
      expect(attributes['http.request.method']).to.equal('M-SEARCH');
    });
  });

  describe('splitAddressAndPort', () => {
    for (const [value, mode, expected] of [
      ['192.0.2.1:80', 'never', { address: '192.0.2.1', port: 80 }],
      ['[2001:db8::1]:443', 'never', { address: '2001:db8::1', port: 443 }],
      ['[2001:db8::1]', 'never', { address: '2001:db8::1' }],
      ['2001:db8::1:443', 'never', { address: '2001:db8::1:443' }],
      ['2001:db8::1:443', 'always', { address: '2001:db8::1', port: 443 }],
      ['2001:db8::1:443', 'when-decimal', { address: '2001:db8::1', port: 443 }],
      ['2001:db8::1', 'when-decimal', { address: '2001:db8::1' }],
      ['fe80::202:b3ff:fe1e:83ab', 'when-decimal', { address: 'fe80::202:b3ff:fe1e:83ab' }],
      ['1:2:3:4:5:6:7:8:51000', 'when-decimal', { address: '1:2:3:4:5:6:7:8', port: 51000 }],
      ['192.0.2.1:99999', 'always', { address: '192.0.2.1:99999' }],
      ['db.internal:5432', 'never', { address: 'db.internal', port: 5432 }],
    ] as const) {
      it(`reads ${value} (${mode}) as ${JSON.stringify(expected)}`, () => {
        expect(splitAddressAndPort(value, mode)).to.deep.equal(expected);
      });
    }
  });

  describe('isIpv6Address', () => {
    it('accepts RFC 4291 forms and rejects the rest', () => {
      for (const valid of ['::', '::1', '2001:db8::1', '1:2:3:4:5:6:7:8', '::ffff:192.0.2.1', 'fe80::1%eth0']) expect(isIpv6Address(valid), valid).to.equal(true);
      for (const invalid of ['2001:db8:', '1:2:3:4:5:6:7:8:9', '1::2::3', 'g::1', '12345::1', '192.0.2.1']) expect(isIpv6Address(invalid), invalid).to.equal(false);
    });
  });

  describe('isPublicAddress', () => {
    it('tells internet addresses from private, loopback, link-local, CGNAT and unique-local ones', () => {
      for (const address of ['203.0.113.9', '8.8.8.8', '172.32.0.1', '2001:db8::7', '2600:1f18::1']) expect(isPublicAddress(address), address).to.equal(true);
      for (const address of ['10.1.2.3', '172.16.0.1', '192.168.1.1', '127.0.0.1', '169.254.1.1', '100.64.0.1', '::1', 'fd00::5', 'fe80::1', '::ffff:10.0.0.1', 'unknown']) {
        expect(isPublicAddress(address), address).to.equal(false);
      }
    });
  });

  describe('readForwardedFor', () => {
    it('names the first public address, else the first address, as the client', () => {
      expect(readForwardedFor('10.0.0.2, 10.0.0.1, 203.0.113.9')?.client).to.deep.equal({ address: '203.0.113.9' });
      expect(readForwardedFor('10.0.0.2,10.0.0.1')?.client).to.deep.equal({ address: '10.0.0.2' });
      expect(readForwardedFor('unknown, 198.51.100.4:6000')?.client).to.deep.equal({ address: '198.51.100.4', port: 6000 });
      expect(readForwardedFor('unknown, -')).to.equal(undefined);
    });
  });

  describe('isForwardedForList', () => {
    it('accepts address lists and rejects other text', () => {
      expect(isForwardedForList('203.0.113.9, 10.0.0.1')).to.equal(true);
      expect(isForwardedForList('2001:db8::1')).to.equal(true);
      expect(isForwardedForList('-')).to.equal(false);
      expect(isForwardedForList('rt=0.003')).to.equal(false);
    });
  });
});
