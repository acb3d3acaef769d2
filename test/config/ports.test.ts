import { describe, expect, it } from 'vitest';
import { parsePortList } from '../../src/config/ports.js';

describe('parsePortList', () => {
  it.each([
    ['22', [22]],
    ['22,80', [22, 80]],
    [' 80 , 22 ,22', [22, 80]],
    ['8000-8003', [8000, 8001, 8002, 8003]],
    ['8001 - 8002,22', [22, 8001, 8002]],
    ['65535', [65535]],
    ['', []],
    ['22,,80,', [22, 80]],
  ])('reads %j', (text, ports) => {
    expect(parsePortList(text)).toEqual({ ports });
  });

  it.each([
    ['0', 'Port 0 is outside 1–65535.'],
    ['22,65536', 'Port 65536 is outside 1–65535.'],
    ['90-80', 'The range 90-80 ends before it starts.'],
    ['http', '"http" is not a port or a range of ports (like 8000-8010).'],
    ['1-2-3', '"1-2-3" is not a port or a range of ports (like 8000-8010).'],
    ['-5', '"-5" is not a port or a range of ports (like 8000-8010).'],
  ])('rejects %j', (text, error) => {
    expect(parsePortList(text)).toEqual({ error });
  });
});
