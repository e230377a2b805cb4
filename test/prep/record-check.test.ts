import { recordCheck } from '../../src/prep/record-check';

/*
 * A dataset's schema is compiled once per process for its content, not per object: a run in aep
 * mode fetches the schema anew each time, and compiling it again each poll cost ~90 ms a
 * dataflow.
 */

const schema = (required: string) => ({ type: 'object', required: [required], properties: { [required]: { type: 'string' } } });

describe('recordCheck', () => {
  it('compiles a schema once for its content, whatever object holds it', () => {
    const first = recordCheck(schema('id'), 'dataset a');
    expect(recordCheck(JSON.parse(JSON.stringify(schema('id'))) as object, 'dataset b')).toBe(first);
    expect(recordCheck(schema('sku'), 'dataset a')).not.toBe(first);
    expect(first({ id: 'x' })).toBeUndefined();
    expect(first({})).toMatchObject({ code: '1555', message: 'required field id is missing', path: 'id' });
  });

  it('keeps a bounded number of compiled schemas, and compiles again one it let go', () => {
    const first = recordCheck(schema('evicted'), 'dataset a');
    for (let i = 0; i < 64; i++) recordCheck(schema(`f${i}`), 'dataset a');
    const again = recordCheck(schema('evicted'), 'dataset a');
    expect(again).not.toBe(first);
    expect(again({})).toMatchObject({ message: 'required field evicted is missing' });
  });

  it('names the dataset when a schema does not compile, and does not keep the failure', () => {
    const bad = { type: 'object', properties: { id: { type: 'strange' } } };
    expect(() => recordCheck(bad, 'dataset d')).toThrow(/^dataset d: the JSON Schema does not compile/);
    expect(() => recordCheck(bad, 'dataset e')).toThrow(/^dataset e: the JSON Schema does not compile/);
  });
});
