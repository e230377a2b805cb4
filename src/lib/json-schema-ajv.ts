import Ajv from 'ajv';
import Ajv2019 from 'ajv/dist/2019';
import Ajv2020 from 'ajv/dist/2020';
import draft06MetaSchema from 'ajv/dist/refs/json-schema-draft-06.json';
import addFormats from 'ajv-formats';

/*
 * An Ajv instance for a JSON Schema of any draft a dataset's schema may declare. Shared by the
 * client's check before upload (prep/record-check.ts) and the emulator's check on COMPLETE
 * (emulator/record-validator.ts) because it is generic set-up of a library, not a reading of
 * Platform's rules: what a problem means and how it is reported stays written twice, once on
 * each side, so that a mistake in one is caught by the other.
 */

/** A new instance (XDM schemas of several datasets may share $ids), for the draft `metaSchema` names. */
export function newAjv(metaSchema: string): Ajv {
  // verbose puts the offending value in errors, to tell a null (Platform's "missing or null") from a wrong type.
  const options = { strict: false, allErrors: false, validateFormats: true, verbose: true };
  let ajv: Ajv;
  if (metaSchema.includes('2020-12')) ajv = new Ajv2020(options);
  else if (metaSchema.includes('2019-09')) ajv = new Ajv2019(options);
  else {
    ajv = new Ajv(options);
    // XDM schemas declare draft-06, which Ajv 8 knows but does not load by default.
    ajv.addMetaSchema(draft06MetaSchema);
  }
  addFormats(ajv);
  return ajv;
}
