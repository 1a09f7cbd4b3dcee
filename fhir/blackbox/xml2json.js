// Converts FHIR XML files to FHIR JSON with the fhir package: one line
// of JSON per file named on the command line, in order, or a line
// {"error": "..."} for a file it cannot convert. XML comments, which the
// package keeps as fhir_comments, are not content and are left out.
import { readFileSync } from 'node:fs';
import fhirPkg from 'fhir';

const { Fhir } = fhirPkg;
const fhir = new Fhir();

function uncomment(v) {
  if (Array.isArray(v)) return v.map(uncomment);
  if (v && typeof v === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'fhir_comments') out[k] = uncomment(x);
    return out;
  }
  return v;
}
for (const file of process.argv.slice(2)) {
  try {
    const obj = JSON.parse(fhir.xmlToJson(readFileSync(file, "utf8")));
    process.stdout.write(JSON.stringify(uncomment(obj)) + '\n');
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: `${file}: ${e.message}` }) + '\n');
  }
}
