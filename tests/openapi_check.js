// Validate live responses of sanitizerd against api/openapi.json (issue 15).
// Usage: node openapi_check.js OPENAPI.json CALLS.jsonl
// CALLS.jsonl: one {"method","template","status","ctype","body"} a line, body
// a file holding the response body.  Independent of our C code: the document
// is checked by @seriousme/openapi-schema-validator (the OpenAPI 3.1 schema),
// the bodies by Ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1).
// Objects are closed for this test: an object schema with properties and no
// additionalProperties of its own gets additionalProperties: false, so a
// field the service returns but the document does not name fails.
'use strict';
const fs = require('fs');
const path = require('path');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;
const { Validator } = require('@seriousme/openapi-schema-validator');

const [docPath, callsPath] = process.argv.slice(2);
const raw = JSON.parse(fs.readFileSync(docPath, 'utf8'));
let failed = 0;
const why = (errs) => (errs || []).map((e) => `${e.instancePath || '/'} ${e.message}` +
	(e.params && e.params.additionalProperty ? ` (${e.params.additionalProperty})` : '')).join('; ').slice(0, 1500);
const fail = (msg) => { failed++; console.log('not ok: ' + msg); };

async function main() {
	// 1. the document itself is valid OpenAPI 3.1
	const v = new Validator();
	const res = await v.validate(JSON.parse(JSON.stringify(raw)));
	if (!res.valid)
		fail('the document is not valid OpenAPI ' + raw.openapi + ': ' + JSON.stringify(res.errors).slice(0, 2000));
	// 2. a license, and an operationId on every operation, unique
	if (!raw.info.license || !raw.info.license.name || !(raw.info.license.identifier || raw.info.license.url))
		fail('info.license needs a name and an identifier or url');
	const ops = {}, seenIds = {};
	for (const [p, item] of Object.entries(raw.paths))
		for (const [m, op] of Object.entries(item)) {
			if (!['get', 'post', 'put', 'delete', 'patch'].includes(m))
				continue;
			ops[m.toUpperCase() + ' ' + p] = { op, hit: false };
			if (!op.operationId)
				fail(`${m.toUpperCase()} ${p} has no operationId`);
			else if (seenIds[op.operationId])
				fail(`operationId ${op.operationId} is used twice`);
			seenIds[op.operationId] = 1;
		}

	// 3. closed objects, refs resolved against the document
	const doc = JSON.parse(JSON.stringify(raw));
	(function close(n) {
		if (Array.isArray(n)) return n.forEach(close);
		if (!n || typeof n !== 'object') return;
		if (n.properties && typeof n.properties === 'object' && !('additionalProperties' in n) &&
		    !('unevaluatedProperties' in n) && !('patternProperties' in n))
			n.additionalProperties = false;
		for (const [k, c] of Object.entries(n))
			if (k !== 'example' && k !== 'examples')
				close(c);
	})(doc.components);
	(function reref(n) {
		if (Array.isArray(n)) return n.forEach(reref);
		if (!n || typeof n !== 'object') return;
		if (typeof n.$ref === 'string' && n.$ref.startsWith('#/'))
			n.$ref = 'doc.json' + n.$ref;
		Object.values(n).forEach(reref);
	})(doc);
	const ajv = new Ajv2020({ strict: false, allErrors: true });
	addFormats(ajv);
	ajv.addSchema({ $id: 'doc.json', components: doc.components });
	const compiled = new Map();
	const validator = (key, schema) => {
		if (!compiled.has(key)) {
			const s = JSON.parse(JSON.stringify(schema));
			// inline schemas are closed too
			(function close(n) {
				if (Array.isArray(n)) return n.forEach(close);
				if (!n || typeof n !== 'object') return;
				if (n.properties && !('additionalProperties' in n) && !('unevaluatedProperties' in n))
					n.additionalProperties = false;
				Object.values(n).forEach(close);
			})(s);
			compiled.set(key, ajv.compile(s));
		}
		return compiled.get(key);
	};

	// 4. every recorded response is documented and matches its schema
	const lines = fs.readFileSync(callsPath, 'utf8').split('\n').filter(Boolean);
	let checked = 0;
	for (const line of lines) {
		const c = JSON.parse(line);
		const where = `${c.method} ${c.template} -> ${c.status}`;
		const item = doc.paths[c.template];
		const op = item && item[c.method.toLowerCase()];
		if (!op) { fail(`${where}: no such operation in the document`); continue; }
		ops[c.method + ' ' + c.template].hit = ops[c.method + ' ' + c.template].hit || c.status < 300;
		const r = op.responses[String(c.status)];
		if (!r) { fail(`${where}: status not documented`); continue; }
		const body = fs.readFileSync(path.resolve(path.dirname(callsPath), c.body));
		const ctype = (c.ctype || '').split(';')[0].trim();
		if (!r.content) {
			if (body.length) fail(`${where}: a body the document does not describe`);
			continue;
		}
		const media = r.content[ctype];
		if (!media) { fail(`${where}: content type ${ctype} not documented (${Object.keys(r.content)})`); continue; }
		checked++;
		if (ctype === 'application/json') {
			const text = body.toString('utf8');
			if (!text.endsWith('\n'))
				fail(`${where}: a JSON body that does not end with a newline`);
			let j;
			try { j = JSON.parse(text); } catch (e) { fail(`${where}: not JSON: ${e}`); continue; }
			const val = validator(`${c.method} ${c.template} ${c.status} ${ctype}`, media.schema || {});
			if (!val(j))
				fail(`${where}: ${why(val.errors)}`);
		} else if (ctype === 'application/jsonl' && media['x-item-schema']) {
			const val = validator(`${c.method} ${c.template} ${c.status} jsonl`, media['x-item-schema']);
			for (const l of body.toString('utf8').split('\n').filter(Boolean))
				if (!val(JSON.parse(l)))
					fail(`${where} (a JSON Lines row): ${why(val.errors)}`);
		}
	}
	// 5. every operation was called, with a success, at least once
	for (const [k, o] of Object.entries(ops))
		if (!o.hit)
			fail(`${k}: never answered with a success in this run`);
	console.log(`${lines.length} responses, ${checked} bodies checked, ${Object.keys(ops).length} operations, ${failed} problems`);
	process.exit(failed ? 1 : 0);
}
main().catch((e) => { console.log('not ok: ' + (e.stack || e)); process.exit(1); });
