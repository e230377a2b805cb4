import { JsonOutlineError, splitJsonDocument, type RawRecord } from '../../src/emulator/json-document-splitter';

async function* chunked(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

async function split(text: string, chunkSize = text.length || 1): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  for await (const record of splitJsonDocument(chunked(text, chunkSize))) out.push(record);
  return out;
}

describe('splitJsonDocument', () => {
  const doc = '\uFEFF[\n  {"a": "x,]}\\"{["},\n  {"b": [1, {"c": 2}]},\n  3,\n  "s"\n]\n';

  test.each([1, 2, 3, 7, 1000])('splits an array the same way whatever the chunk size (%i)', async (size) => {
    const records = await split(doc, size);
    expect(records.map((r) => r.text)).toEqual(['{"a": "x,]}\\"{["}', '{"b": [1, {"c": 2}]}', '3', '"s"']);
    expect(records.map((r) => r.line)).toEqual([2, 3, 4, 5]);
    expect(records.map((r) => JSON.parse(r.text))).toEqual([{ a: 'x,]}"{[' }, { b: [1, { c: 2 }] }, 3, 's']);
  });

  test('splits pretty-printed objects that follow each other', async () => {
    const records = await split('{\n "a": 1\n}\n{"b": "}"}\n\n[1]', 4);
    expect(records.map((r) => r.text)).toEqual(['{\n "a": 1\n}', '{"b": "}"}', '[1]']);
    expect(records.map((r) => r.line)).toEqual([1, 4, 6]);
  });

  test('an empty array has no records; an element that is not JSON is left for the parser', async () => {
    expect(await split(' [ ] ')).toEqual([]);
    expect((await split('[{a: 1}, {"b": 2}]')).map((r) => r.text)).toEqual(['{a: 1}', '{"b": 2}']);
  });

  test.each([
    ['an unclosed array', '[{"a": 1},', 'not closed'],
    ['an unclosed object', '[{"a": 1', 'end of file inside a value'],
    ['an unclosed string', '{"a": "1', 'end of file inside a value'],
    ['a trailing comma', '[{"a": 1},]', 'missing array element'],
    ['a leading comma', '[,{"a": 1}]', 'missing array element'],
    ['content after the array', '[{"a": 1}] {}', 'after the closing'],
    ['a scalar at the top level', '{"a": 1} 42', 'expected an object'],
  ])('refuses %s', async (_what, text, message) => {
    await expect(split(text)).rejects.toThrow(JsonOutlineError);
    await expect(split(text)).rejects.toThrow(message);
  });
});
