import { parse } from 'csv-parse/sync';
import { CsvFatalError, CsvTokenizer, type CsvSyntax } from '../../src/prep/csv-tokenizer';

const STD: CsvSyntax = { delimiter: ',', quote: '"', escape: '"' };

/** Every record and bad record, feeding the text in pieces of `size` characters. */
function tokenize(text: string, size: number, syntax: CsvSyntax = STD) {
  const out: Array<[number, string[] | string]> = [];
  const t = new CsvTokenizer(syntax, { record: (f, line) => out.push([line, f]), badRecord: (m, line) => out.push([line, m]) });
  for (let i = 0; i < text.length; i += size) t.write(text.slice(i, i + size));
  t.end();
  return out;
}

const CASES: Array<[string, string, CsvSyntax?]> = [
  ['plain rows', 'a,b,c\n1,2,3\n'],
  ['no final newline', 'a,b\n1,2'],
  ['CRLF', 'a,b\r\n1,2\r\n'],
  ['bare CR', 'a,b\r1,2\r'],
  ['quoted delimiter and doubled quote', 'a,b\n"x, y","say ""hi"""\n'],
  ['newlines inside quotes', 'a,b\n"line1\nline2\r\nline3",z\nnext,row\n'],
  ['empty fields and trailing delimiter', 'a,b,c\n,,\n1,,\nx,y,\n'],
  ['empty quoted field', 'a,b\n"",x\n'],
  ['unicode and BOM', '\uFEFFnom,ville\nZoë,Zürich\n'],
  ['blank lines', 'a\n\n1\n\n'],
  ['other delimiter, quote and escape', "a;b\n'it\\'s';'a\\\\b'\n", { delimiter: ';', quote: "'", escape: '\\' }],
  ['tab delimited', 'a\tb\n1\t"2\t3"\n', { delimiter: '\t', quote: '"', escape: '"' }],
];

describe('CsvTokenizer', () => {
  it.each(CASES)('reads %s as csv-parse does, whatever the chunking', (_name, text, syntax = STD) => {
    const expected = parse(text, { delimiter: syntax.delimiter, quote: syntax.quote, escape: syntax.escape, bom: true, relax_column_count: true, skip_empty_lines: false }) as string[][];
    for (const size of [1, 2, 3, 7, 1000]) {
      expect(tokenize(text, size, syntax).map(([, r]) => r)).toEqual(expected);
    }
  });

  it('tells the line each record starts on', () => {
    expect(tokenize('h\n"a\nb"\r\nc\n\nd', 2).map(([line]) => line)).toEqual([1, 2, 4, 5, 6]);
  });

  it('skips a record with a stray quote to the end of its line, and reads on', () => {
    expect(tokenize('a,b\nx,y"z\n1,2\n"q"w,3\n4,5\n', 3)).toEqual([
      [1, ['a', 'b']],
      [2, 'a quote inside an unquoted field (quote the whole field, and double the quote)'],
      [3, ['1', '2']],
      [4, 'characters after a closing quote (a quote inside a quoted field must be doubled)'],
      [5, ['4', '5']],
    ]);
  });

  it('fails on a quoted field left open at the end', () => {
    expect(() => tokenize('a,b\n1,"open\n2,3\n', 4)).toThrow(CsvFatalError);
  });
});
