/**
 * The emulator, case by case from the API document's text. Real HTTP
 * on loopback, no mocks. Nothing here is imported or generated from src/contact/schema.ts: tests built
 * from the schema could never catch the schema being wrong.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { CREDENTIAL_CHECK_PREFIX } from '../src/api/credentials.js';
import { readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startEmulator, type Emulator, type EmulatorOptions, type RequestLogEntry } from '../src/emulator/server.js';
import { tempDir, whenFile } from './helpers.js';

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** "Authorization: Basic {credentials}" where credentials = base64(portal code ":" API key). */
function basic(portalCode: string, apiKey: string): string {
  return `Basic ${Buffer.from(`${portalCode}:${apiKey}`).toString('base64')}`;
}

function authOf(emulator: Emulator): string {
  return basic(emulator.portalCode, emulator.apiKey);
}

function contactPath(systemId: string): string {
  return `/contacts/${encodeURIComponent(systemId)}`;
}

/**
 * One request to the emulator's API. Every answer must be JSON: the document says "a
 * description of the error will also be returned in JSON format", and the emulator answers
 * successes in JSON too.
 */
async function request(
  emulator: Emulator,
  method: string,
  path: string,
  options: { body?: string; authorization?: string | null } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  const authorization = options.authorization === undefined ? authOf(emulator) : options.authorization;
  if (authorization !== null) headers.authorization = authorization;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${emulator.baseUrl}${path}`, { method, headers, body: options.body });
  const text = await response.text();
  expect(response.headers.get('content-type')).toBe('application/json');
  return { status: response.status, headers: response.headers, text, json: JSON.parse(text) as unknown };
}

const put = (emulator: Emulator, systemId: string, body: string): Promise<Answer> =>
  request(emulator, 'PUT', contactPath(systemId), { body });
const getOne = (emulator: Emulator, systemId: string): Promise<Answer> =>
  request(emulator, 'GET', contactPath(systemId));
const del = (emulator: Emulator, systemId: string): Promise<Answer> =>
  request(emulator, 'DELETE', contactPath(systemId));

/** The record GET returns for a contact, with all six keys. */
function record(fields: {
  System_ID: string;
  First_Name?: string | null;
  Last_Name?: string | null;
  Email?: string | null;
  Job_Title?: string | null;
  Mobile?: string | null;
}): { contact: Record<string, string | null> } {
  return {
    contact: {
      System_ID: fields.System_ID,
      First_Name: fields.First_Name ?? null,
      Last_Name: fields.Last_Name ?? null,
      Email: fields.Email ?? null,
      Job_Title: fields.Job_Title ?? null,
      Mobile: fields.Mobile ?? null,
    },
  };
}

function messageOf(answer: Answer): string {
  expect(answer.json).toEqual({ message: expect.any(String) as unknown, status: answer.status });
  return (answer.json as { message: string }).message;
}

let counter = 0;
/** A fresh system_id and email per case, so cases on the shared emulator never collide. */
function fresh(prefix: string): { id: string; email: string } {
  counter++;
  return { id: `${prefix}-${counter}`, email: `${prefix}.${counter}@example.com` };
}

async function create(emulator: Emulator, prefix: string): Promise<{ id: string; email: string }> {
  const contact = fresh(prefix);
  const answer = await put(
    emulator,
    contact.id,
    JSON.stringify({ first_name: 'Tim', last_name: 'Test', email: contact.email }),
  );
  expect(answer.status).toBe(201);
  return contact;
}

const UNAUTHORIZED_BODY = '{"message":"Invalid security credentials","status":401}';

describe('emulator', () => {
  let emu: Emulator;

  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
  });

  afterAll(async () => {
    await emu.close();
  });

  describe('startup', () => {
    it('makes up a portal code and a 40-character key, and listens on loopback under /api/v5', () => {
      expect(emu.portalCode).toMatch(/^EMU[A-Z0-9]{4}$/);
      // "you must … have a 40 character API key"
      expect(emu.apiKey).toMatch(/^[A-Za-z0-9]{40}$/);
      expect(emu.port).toBeGreaterThan(0);
      expect(emu.baseUrl).toBe(`http://127.0.0.1:${emu.port}/api/v5`);
    });

    it('refuses options that cannot work', async () => {
      await expect(startEmulator({ failRate: 2 })).rejects.toThrow(/failRate/);
      await expect(startEmulator({ failRate: 0.6, throttleRate: 0.6 })).rejects.toThrow(/more than 1/);
      await expect(startEmulator({ latencyMs: -1 })).rejects.toThrow(/latencyMs/);
      await expect(startEmulator({ port: 70_000 })).rejects.toThrow(/port/);
      // "you must … have a 40 character API key"
      await expect(startEmulator({ apiKey: 'k'.repeat(39) })).rejects.toThrow(/40 characters/);
      await expect(startEmulator({ portalCode: 'A:B' })).rejects.toThrow(/colon/);
    });
  });

  describe('authentication: "Authorization: Basic {credentials}"', () => {
    it('accepts base64(portal code ":" API key): a GET of an unknown contact is then 404', async () => {
      const answer = await getOne(emu, 'no-such-contact');
      expect(answer.status).toBe(404);
    });

    const badHeaders: [string, (e: Emulator) => string | null][] = [
      ['a wrong portal code', (e) => basic(`${e.portalCode}X`, e.apiKey)],
      ['a wrong API key', (e) => basic(e.portalCode, `${e.apiKey.slice(0, 39)}${e.apiKey.endsWith('a') ? 'b' : 'a'}`)],
      ['a key one character too long', (e) => basic(e.portalCode, `${e.apiKey}x`)],
      ['a key one character short', (e) => basic(e.portalCode, e.apiKey.slice(0, 39))],
      ['no Authorization header', () => null],
      ['"Basic" with no credentials', () => 'Basic'],
      ['another scheme', (e) => `Bearer ${e.apiKey}`],
      ['credentials that are not base64', () => 'Basic !!!not-base64!!!'],
      ['the credentials unencoded', (e) => `Basic ${e.portalCode}:${e.apiKey}`],
      ['no colon between code and key', (e) => `Basic ${Buffer.from(`${e.portalCode}${e.apiKey}`).toString('base64')}`],
      // "the Base64 encoding of …": the padded alphabet of RFC 4648, as PHP's base64_encode writes it.
      [
        'base64 with a character outside the alphabet',
        (e) => basic(e.portalCode, e.apiKey).replace(/^Basic /, 'Basic *'),
      ],
      ['URL-safe base64', (e) => `Basic ${Buffer.from(`${e.portalCode}:${e.apiKey}`).toString('base64url')}==`],
    ];
    for (const [name, header] of badHeaders) {
      it(`answers 401 with the document's body for ${name}`, async () => {
        const answer = await request(emu, 'GET', contactPath('no-such-contact'), { authorization: header(emu) });
        expect(answer.status).toBe(401);
        expect(answer.text).toBe(UNAUTHORIZED_BODY);
      });
    }

    it("refuses base64 without its padding: the document's portal code ABC123 needs one '='", async () => {
      const padded = await startEmulator({ port: 0, portalCode: 'ABC123', apiKey: emu.apiKey });
      try {
        const header = basic('ABC123', emu.apiKey);
        expect(header.endsWith('=')).toBe(true);
        expect((await request(padded, 'GET', contactPath('x'), { authorization: header })).status).toBe(404);
        const unpadded = header.replace(/=+$/, '');
        expect((await request(padded, 'GET', contactPath('x'), { authorization: unpadded })).status).toBe(401);
      } finally {
        await padded.close();
      }
    });

    it('checks credentials before the request itself: a bad body without them is 401', async () => {
      expect((await request(emu, 'PUT', contactPath('x'), { authorization: null, body: 'not json' })).status).toBe(401);
    });
  });

  describe('PUT: adding a new Contact', () => {
    it("creates with the document's example payload: 201, and GET returns it", async () => {
      const { id } = fresh('ajay');
      const body = '{\n"first_name": "Ajay",\n"last_name": "Patel",\n"email": "ajay.patel@example.com"\n}';
      const answer = await put(emu, id, body);
      expect(answer.status).toBe(201);
      const expected = record({
        System_ID: id,
        First_Name: 'Ajay',
        Last_Name: 'Patel',
        Email: 'ajay.patel@example.com',
      });
      expect(answer.json).toEqual(expected);
      expect((await getOne(emu, id)).json).toEqual(expected);
    });

    it("creates with every field, job_title null as in the document's first example", async () => {
      const { id, email } = fresh('tim');
      const answer = await put(
        emu,
        id,
        `{"first_name": "Tim", "last_name": "Test", "job_title": null, "email": "${email}", "mobile": "+61411112233"}`,
      );
      expect(answer.status).toBe(201);
      expect((await getOne(emu, id)).json).toEqual(
        record({ System_ID: id, First_Name: 'Tim', Last_Name: 'Test', Email: email, Mobile: '+61411112233' }),
      );
    });

    // "The following fields are mandatory in the JSON when adding a new Contact: first_name last_name email"
    const missing: [string, string][] = [
      ['first_name', '{"last_name":"Test","email":"EMAIL"}'],
      ['last_name', '{"first_name":"Tim","email":"EMAIL"}'],
      ['email', '{"first_name":"Tim","last_name":"Test"}'],
    ];
    for (const [field, template] of missing) {
      it(`refuses a create without ${field}: 400 naming it, nothing created`, async () => {
        const { id, email } = fresh(`missing-${field}`);
        const answer = await put(emu, id, template.replace('EMAIL', email));
        expect(answer.status).toBe(400);
        expect(messageOf(answer)).toContain(field);
        expect((await getOne(emu, id)).status).toBe(404);
      });
    }

    it('refuses a create whose mandatory field is null', async () => {
      const { id } = fresh('null-email');
      const answer = await put(emu, id, '{"first_name":"Tim","last_name":"Test","email":null}');
      expect(answer.status).toBe(400);
      expect(messageOf(answer)).toContain('email');
    });
  });

  describe('PUT: updating a Contact', () => {
    it('"Set to value", "Set to null" and "Omitted" with the document\'s example {"mobile": "+61444111222","job_title": null}', async () => {
      const { id, email } = fresh('update');
      expect(
        (
          await put(
            emu,
            id,
            `{"first_name":"Tim","last_name":"Test","email":"${email}","job_title":"Analyst","mobile":"+61411112233"}`,
          )
        ).status,
      ).toBe(201);
      const answer = await put(emu, id, '{"mobile": "+61444111222","job_title": null}');
      expect(answer.status).toBe(200);
      const expected = record({
        System_ID: id,
        First_Name: 'Tim',
        Last_Name: 'Test',
        Email: email,
        Mobile: '+61444111222',
      });
      expect(answer.json).toEqual(expected);
      expect((await getOne(emu, id)).json).toEqual(expected);
    });

    // "It must be a valid email address": an internationalised address (RFC 6531) is one.
    it('takes internationalised email addresses: Zoë@example.com, josé@exämple.com', async () => {
      const { id } = await create(emu, 'idn-email');
      for (const email of [`Zoë.${counter++}@example.com`, `josé.${counter++}@exämple.com`]) {
        expect((await put(emu, id, JSON.stringify({ email }))).status, email).toBe(200);
        expect(emu.contacts().find((c) => c.system_id === id)?.email).toBe(email);
      }
    });

    it('lets an update leave out the fields that are mandatory on create, and accepts an empty object', async () => {
      const { id, email } = await create(emu, 'partial');
      expect((await put(emu, id, '{"job_title":"Lead"}')).status).toBe(200);
      expect((await put(emu, id, '{}')).status).toBe(200);
      expect((await getOne(emu, id)).json).toEqual(
        record({ System_ID: id, First_Name: 'Tim', Last_Name: 'Test', Email: email, Job_Title: 'Lead' }),
      );
    });

    it('"use null in the JSON": lowercase null clears a field', async () => {
      const { id } = await create(emu, 'null-clears');
      expect((await put(emu, id, '{"job_title":"Lead"}')).status).toBe(200);
      expect((await put(emu, id, '{"job_title":null}')).status).toBe(200);
      expect(((await getOne(emu, id)).json as { contact: { Job_Title: unknown } }).contact.Job_Title).toBeNull();
    });

    it('"Do not surround null with quotes": the string "null" is stored as text', async () => {
      const { id } = await create(emu, 'null-string');
      expect((await put(emu, id, '{"job_title":"null"}')).status).toBe(200);
      expect(((await getOne(emu, id)).json as { contact: { Job_Title: unknown } }).contact.Job_Title).toBe('null');
    });

    it('"NULL will not work": NULL and Null are malformed JSON, 400', async () => {
      const { id } = await create(emu, 'upper-null');
      expect((await put(emu, id, '{"job_title":NULL}')).status).toBe(400);
      expect((await put(emu, id, '{"job_title":Null}')).status).toBe(400);
    });
  });

  describe('PUT: 400 "Field value invalid or missing or JSON is malformed"', () => {
    let target: { id: string; email: string };
    let before: unknown;

    beforeAll(async () => {
      target = await create(emu, 'bad-body');
      before = (await getOne(emu, target.id)).json;
    });

    afterAll(async () => {
      // None of the refused bodies may have changed the contact.
      expect((await getOne(emu, target.id)).json).toEqual(before);
    });

    const refuse = (name: string, body: string, field?: string): void => {
      it(`refuses ${name}`, async () => {
        const answer = await put(emu, target.id, body);
        expect(answer.status).toBe(400);
        const message = messageOf(answer);
        if (field !== undefined) expect(message).toContain(field);
      });
    };

    // "Your JSON must never include a backslash (\) anywhere within it."
    refuse('a \\u0041 escape, although it is valid JSON', String.raw`{"first_name":"\u0041da"}`);
    refuse('an escaped quote \\" inside a string', String.raw`{"job_title":"The \"Boss\""}`);
    refuse('an escaped slash \\/', String.raw`{"job_title":"Sales\/Marketing"}`);
    refuse('an escaped newline \\n', String.raw`{"job_title":"Sales\nMarketing"}`);
    refuse('a backslash in a key', String.raw`{"first\u005fname":"Tim"}`);
    refuse('a backslash outside any string', String.raw`{"first_name":"Tim"}\ `);

    refuse('malformed JSON: an unclosed object', '{"first_name":"Tim"');
    refuse('malformed JSON: unquoted keys', '{first_name:"Tim"}');
    refuse('malformed JSON: single quotes', "{'first_name':'Tim'}");
    refuse('malformed JSON: a trailing comma', '{"first_name":"Tim",}');
    refuse('malformed JSON: an empty body', '');

    // "The JSON payload may only contain information for a single Contact"
    refuse('a body that is an array', '[{"first_name":"Tim"}]');
    refuse('a body that is an empty array', '[]');
    refuse('a body that is a string', '"Tim"');
    refuse('a body that is a number', '42');
    refuse('a body that is null', 'null');

    // "The fields allowed in the JSON payload are: first_name, last_name, email, job_title, mobile"
    refuse('an unknown field', '{"phone":"+61411112233"}', 'phone');
    refuse("a field in the GET record's spelling", '{"First_Name":"Tim"}', 'First_Name');
    refuse('system_id in the body', '{"system_id":"other"}', 'system_id');

    refuse('a number value', '{"first_name":42}', 'first_name');
    refuse('a boolean value', '{"job_title":true}', 'job_title');
    refuse('an object value', '{"last_name":{"text":"Test"}}', 'last_name');
    refuse('an array value', '{"email":["tim@example.com"]}', 'email');

    // "It must be a valid email address"
    refuse('an email without @', '{"email":"tim.example.com"}', 'email');
    refuse('an email without a domain', '{"email":"tim@"}', 'email');
    refuse('an email without a local part', '{"email":"@example.com"}', 'email');
    refuse('an email with a space', '{"email":"tim test@example.com"}', 'email');

    // "It must start with a "+" followed by a country code and the phone number with the leading
    // zero removed. No spaces or hyphens are allowed."
    refuse('a mobile with spaces', '{"mobile":"+61 411 112 233"}', 'mobile');
    refuse('a mobile with hyphens', '{"mobile":"+61-411-112-233"}', 'mobile');
    refuse('a mobile without the +', '{"mobile":"61411112233"}', 'mobile');
    refuse('a mobile with a leading zero after the +', '{"mobile":"+0411112233"}', 'mobile');
    refuse('a local mobile number', '{"mobile":"0411112233"}', 'mobile');
    refuse('a mobile with letters', '{"mobile":"+61411ABC233"}', 'mobile');

    it('names every invalid field at once', async () => {
      const message = messageOf(await put(emu, target.id, '{"email":"nope","mobile":"0412"}'));
      expect(message).toContain('email');
      expect(message).toContain('mobile');
    });
  });

  describe('422 "Another Contact already has this email address"', () => {
    const EMAIL_TAKEN = '{"message":"Another Contact already has this email address","status":422}';

    it('compares emails case-insensitively on create: Tim@X.com vs tim@x.com', async () => {
      const a = fresh('owner');
      const b = fresh('taker');
      expect((await put(emu, a.id, '{"first_name":"Tim","last_name":"A","email":"tim@x.com"}')).status).toBe(201);
      const answer = await put(emu, b.id, '{"first_name":"Tim","last_name":"B","email":"Tim@X.com"}');
      expect(answer.status).toBe(422);
      expect(answer.text).toBe(EMAIL_TAKEN);
      expect((await getOne(emu, b.id)).status).toBe(404);
    });

    it("refuses an update to another contact's email and leaves the contact unchanged", async () => {
      const a = await create(emu, 'holder');
      const b = await create(emu, 'mover');
      const before = (await getOne(emu, b.id)).json;
      const answer = await put(emu, b.id, `{"email":"${a.email.toUpperCase()}","job_title":"changed"}`);
      expect(answer.status).toBe(422);
      expect(answer.text).toBe(EMAIL_TAKEN);
      expect((await getOne(emu, b.id)).json).toEqual(before);
    });

    it('lets a contact send its own email again, in any case, stored as sent', async () => {
      const a = await create(emu, 'self');
      expect((await put(emu, a.id, `{"email":"${a.email}"}`)).status).toBe(200);
      expect((await put(emu, a.id, `{"email":"${a.email.toUpperCase()}"}`)).status).toBe(200);
      expect(((await getOne(emu, a.id)).json as { contact: { Email: unknown } }).contact.Email).toBe(
        a.email.toUpperCase(),
      );
    });

    it('frees an email that is set to null', async () => {
      const a = await create(emu, 'release');
      const b = await create(emu, 'claim');
      expect((await put(emu, b.id, `{"email":"${a.email}"}`)).status).toBe(422);
      expect((await put(emu, a.id, '{"email":null}')).status).toBe(200);
      expect((await put(emu, b.id, `{"email":"${a.email}"}`)).status).toBe(200);
    });

    it('frees an email whose contact is deleted', async () => {
      const a = await create(emu, 'leaver');
      const b = fresh('newcomer');
      expect((await del(emu, a.id)).status).toBe(202);
      expect((await put(emu, b.id, `{"first_name":"New","last_name":"Comer","email":"${a.email}"}`)).status).toBe(201);
    });

    it('frees the old email when a contact changes its email', async () => {
      const a = await create(emu, 'renamer');
      const b = await create(emu, 'follower');
      const newEmail = `renamed.${a.email}`;
      expect((await put(emu, a.id, `{"email":"${newEmail}"}`)).status).toBe(200);
      expect((await put(emu, b.id, `{"email":"${a.email}"}`)).status).toBe(200);
      expect((await put(emu, b.id, `{"email":"${newEmail}"}`)).status).toBe(422);
    });
  });

  describe('values are stored exactly as sent', () => {
    it('keeps spaces, case, unicode and emoji, in GET and in contacts()', async () => {
      const { id } = fresh('exact');
      const values = {
        first_name: '  Tim  ',
        last_name: 'Ünïcödé 日本語',
        email: 'MiXeD.Case@Example.COM',
        job_title: 'Chief 🎉 Officer / Sales',
        mobile: '+61411112233',
      };
      expect((await put(emu, id, JSON.stringify(values))).status).toBe(201);
      expect((await getOne(emu, id)).json).toEqual(
        record({
          System_ID: id,
          First_Name: values.first_name,
          Last_Name: values.last_name,
          Email: values.email,
          Job_Title: values.job_title,
          Mobile: values.mobile,
        }),
      );
      expect(emu.contacts().find((contact) => contact.system_id === id)).toEqual({ system_id: id, ...values });
    });
  });

  describe('DELETE', () => {
    it('answers 202 and the contact is gone', async () => {
      const { id } = await create(emu, 'delete-me');
      const answer = await del(emu, id);
      expect(answer.status).toBe(202);
      expect(answer.json).toEqual({ message: expect.any(String) as unknown, status: 202 });
      expect((await getOne(emu, id)).status).toBe(404);
    });

    it('answers 404 "A Contact with this System ID was not found" for an unknown system_id', async () => {
      const answer = await del(emu, 'never-existed');
      expect(answer.status).toBe(404);
      expect(answer.text).toBe('{"message":"A Contact with this System ID was not found","status":404}');
    });

    // "The Contact to be deleted must not be the Support Lead or Also Alert for any Support Group."
    it('refuses the Support Lead of a support group with 400 naming the group', async () => {
      expect(
        (await put(emu, 'CONTACT123', '{"first_name":"Sue","last_name":"Lead","email":"contact123@example.com"}'))
          .status,
      ).toBe(201);
      const answer = await del(emu, 'CONTACT123');
      expect(answer.status).toBe(400);
      const message = messageOf(answer);
      expect(message).toContain('Support Lead');
      expect(message).toContain('"Service Desk"');
      expect(message).toContain('TEAM123');
      expect((await getOne(emu, 'CONTACT123')).status).toBe(200);
    });

    it('refuses an Also Alert of a support group with 400 naming the group', async () => {
      expect(
        (await put(emu, 'CONTACT456', '{"first_name":"Al","last_name":"Alert","email":"contact456@example.com"}'))
          .status,
      ).toBe(201);
      const answer = await del(emu, 'CONTACT456');
      expect(answer.status).toBe(400);
      const message = messageOf(answer);
      expect(message).toContain('Also Alert');
      expect(message).toContain('"Service Desk"');
      expect((await getOne(emu, 'CONTACT456')).status).toBe(200);
    });

    it("refuses the third sample group's lead, CONTACT789", async () => {
      expect(
        (await put(emu, 'CONTACT789', '{"first_name":"Del","last_name":"Ivery","email":"contact789@example.com"}'))
          .status,
      ).toBe(201);
      const answer = await del(emu, 'CONTACT789');
      expect(answer.status).toBe(400);
      expect(messageOf(answer)).toContain('"Service Delivery"');
    });
  });

  describe('GET', () => {
    it('returns one contact as {"contact":{System_ID, First_Name, Last_Name, Email, Job_Title, Mobile}}', async () => {
      const { id, email } = await create(emu, 'shape');
      const answer = await getOne(emu, id);
      expect(answer.status).toBe(200);
      expect(answer.text).toBe(
        `{"contact":{"System_ID":"${id}","First_Name":"Tim","Last_Name":"Test","Email":"${email}","Job_Title":null,"Mobile":null}}`,
      );
    });

    it('answers 404 "A Contact with this System ID was not found" for an unknown one', async () => {
      const answer = await getOne(emu, 'never-existed');
      expect(answer.status).toBe(404);
      expect(answer.text).toBe('{"message":"A Contact with this System ID was not found","status":404}');
    });
  });

  describe('system_id is one URL path segment', () => {
    const ids = ['a/b', 'with space', 'what?', 'hash#tag', '100%', 'a+b', 'ünï🎉', '/?#%+ all'];
    for (const id of ids) {
      it(`round-trips ${JSON.stringify(id)} through PUT, GET, GET all and DELETE`, async () => {
        const email = `rt.${counter++}@example.com`;
        expect((await put(emu, id, `{"first_name":"R","last_name":"T","email":"${email}"}`)).status).toBe(201);
        expect((await getOne(emu, id)).json).toEqual(
          record({ System_ID: id, First_Name: 'R', Last_Name: 'T', Email: email }),
        );
        const all = (await request(emu, 'GET', '/contacts')).json as { contacts: { contact: { System_ID: string } }[] };
        expect(all.contacts.some((entry) => entry.contact.System_ID === id)).toBe(true);
        expect(emu.contacts().some((contact) => contact.system_id === id)).toBe(true);
        expect((await del(emu, id)).status).toBe(202);
        expect((await getOne(emu, id)).status).toBe(404);
      });
    }

    it('does not read + as a space', async () => {
      const email = `plus.${counter++}@example.com`;
      expect((await put(emu, 'x+y', `{"first_name":"P","last_name":"S","email":"${email}"}`)).status).toBe(201);
      expect((await request(emu, 'GET', '/contacts/x%20y')).status).toBe(404);
      expect((await request(emu, 'GET', '/contacts/x+y')).status).toBe(200);
    });

    // The document sets no length; the emulator and the importer share a limit of 100 characters
    // (docs/ARCHITECTURE.md, "Decisions where the API document is silent").
    it('takes a 100-character system_id and answers 400 to a 101-character one', async () => {
      const email = `long.${counter++}@example.com`;
      const body = `{"first_name":"L","last_name":"Id","email":"${email}"}`;
      expect((await put(emu, 'i'.repeat(101), body)).status).toBe(400);
      expect((await getOne(emu, 'i'.repeat(101))).status).toBe(400);
      expect((await put(emu, 'i'.repeat(100), body)).status).toBe(201);
    });

    it('answers 400 for malformed percent-encoding', async () => {
      expect((await request(emu, 'GET', '/contacts/%E0%A4%A')).status).toBe(400);
      expect((await request(emu, 'GET', '/contacts/%zz')).status).toBe(400);
    });
  });

  describe('routes', () => {
    // The document's URLs are https://app.cio-pulse.com/api/v5/contacts and …/contacts/{system_id};
    // its JSON 404 means "A Contact with this System ID was not found". Any other path is not the
    // API's, so it is answered as a web server would, whatever the credentials.
    it('answers a path that is no route with a web server 404, not the API JSON, with or without a key', async () => {
      const root = emu.baseUrl.replace('/api/v5', '');
      const urls = [
        ...['/contact', '/contacts/a/b', '/contacts/', '/support_groups', ''].map((p) => `${emu.baseUrl}${p}`),
        `${root}/`,
        `${root}/api/v4/contacts/x`,
        `${root}/api/v4`,
      ];
      for (const url of urls) {
        for (const authorization of [authOf(emu), basic(emu.portalCode, 'x'.repeat(40)), undefined]) {
          const response = await fetch(url, { headers: authorization === undefined ? {} : { authorization } });
          const text = await response.text();
          expect(response.status, url).toBe(404);
          expect(response.headers.get('content-type'), url).not.toContain('json');
          expect(text, url).not.toContain('"status"');
        }
      }
    });

    it('answers a wrong method with 405 JSON and Allow', async () => {
      for (const [method, path] of [
        ['POST', '/contacts/x'],
        ['PATCH', '/contacts/x'],
        ['PUT', '/contacts'],
        ['DELETE', '/contacts'],
        ['POST', '/contacts'],
      ] as const) {
        const answer = await request(emu, method, path, method === 'DELETE' ? {} : { body: '{}' });
        expect(answer.status, `${method} ${path}`).toBe(405);
        messageOf(answer);
        expect(answer.headers.get('allow')).toContain('GET');
      }
    });
  });

  describe('limits', () => {
    it('answers 413 JSON to a body over 64 KiB and applies nothing', async () => {
      const { id } = fresh('huge');
      const answer = await put(
        emu,
        id,
        JSON.stringify({ first_name: 'x'.repeat(70_000), last_name: 'T', email: 'huge@example.com' }),
      );
      expect(answer.status).toBe(413);
      messageOf(answer);
      expect((await getOne(emu, id)).status).toBe(404);
    });
  });
});

describe('emulator: GET all', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
  });
  afterAll(async () => {
    await emu.close();
  });

  it('is {"contacts":[]} when empty', async () => {
    const answer = await request(emu, 'GET', '/contacts');
    expect(answer.status).toBe(200);
    expect(answer.text).toBe('{"contacts":[]}');
  });

  it('lists wrapped records in creation order; an update keeps its place; delete + re-create goes last', async () => {
    for (const n of [1, 2, 3])
      expect(
        (await put(emu, `c${n}`, `{"first_name":"F${n}","last_name":"L","email":"c${n}@example.com"}`)).status,
      ).toBe(201);
    expect((await put(emu, 'c1', '{"job_title":"Boss"}')).status).toBe(200);
    expect((await del(emu, 'c2')).status).toBe(202);
    expect((await put(emu, 'c2', '{"first_name":"F2","last_name":"L","email":"c2@example.com"}')).status).toBe(201);
    const answer = await request(emu, 'GET', '/contacts');
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      contacts: [
        record({ System_ID: 'c1', First_Name: 'F1', Last_Name: 'L', Email: 'c1@example.com', Job_Title: 'Boss' }),
        record({ System_ID: 'c3', First_Name: 'F3', Last_Name: 'L', Email: 'c3@example.com' }),
        record({ System_ID: 'c2', First_Name: 'F2', Last_Name: 'L', Email: 'c2@example.com' }),
      ],
    });
    expect(emu.contacts().map((contact) => contact.system_id)).toEqual(['c1', 'c3', 'c2']);
  });

  it('streams thousands of contacts across chunks, in order', async () => {
    const many = Array.from({ length: 5_432 }, (_, i) => ({
      system_id: `bulk-${i}`,
      first_name: `First ${i}`,
      last_name: 'Bulk',
      email: `bulk.${i}@example.com`,
      job_title: null,
      mobile: '+61411112233',
    }));
    emu.seedContacts(many);
    const answer = await request(emu, 'GET', '/contacts');
    const ids = (answer.json as { contacts: { contact: { System_ID: string } }[] }).contacts.map(
      (entry) => entry.contact.System_ID,
    );
    expect(ids.slice(0, 3)).toEqual(['c1', 'c3', 'c2']);
    expect(ids.slice(3)).toEqual(many.map((contact) => contact.system_id));
  });
});

describe('emulator: support groups', () => {
  const lead = (id: string): string => `{"first_name":"G","last_name":"L","email":"${id.toLowerCase()}@example.com"}`;

  it('takes a groups document as an object and protects every Also Alert slot up to 6', async () => {
    const emu = await startEmulator({
      groups: {
        support_groups: [
          {
            support_group: {
              Support_Group_System_ID: 'G1',
              Support_Group_Name: 'Night Shift',
              Support_Lead_System_ID: 'LEAD1',
              Also_Alert_6_System_ID: 'ALERT6',
            },
          },
        ],
      },
    });
    try {
      for (const id of ['LEAD1', 'ALERT6', 'FREE1']) expect((await put(emu, id, lead(id))).status).toBe(201);
      const alert = await del(emu, 'ALERT6');
      expect(alert.status).toBe(400);
      expect(messageOf(alert)).toContain('Also Alert 6');
      expect(messageOf(alert)).toContain('"Night Shift"');
      expect((await del(emu, 'LEAD1')).status).toBe(400);
      // The sample file's groups are not loaded when another document is given.
      expect((await put(emu, 'CONTACT123', lead('CONTACT123'))).status).toBe(201);
      expect((await del(emu, 'CONTACT123')).status).toBe(202);
      expect((await del(emu, 'FREE1')).status).toBe(202);
    } finally {
      await emu.close();
    }
  });

  it('reads a groups file, and refuses a malformed one at start', async () => {
    const dir = tempDir('emu-groups-');
    try {
      const good = join(dir, 'groups.json');
      writeFileSync(
        good,
        '{"support_groups":[{"support_group":{"Support_Group_System_ID":"T1","Support_Group_Name":"Ops","Support_Lead_System_ID":"BOSS"}}]}',
      );
      const emu = await startEmulator({ groups: good });
      try {
        expect((await put(emu, 'BOSS', lead('BOSS'))).status).toBe(201);
        expect(messageOf(await del(emu, 'BOSS'))).toContain('"Ops"');
      } finally {
        await emu.close();
      }

      // The document's own example is not valid JSON: "Also_Alert_1_System_ID":CONTACT456.
      const verbatim = join(dir, 'verbatim.json');
      writeFileSync(
        verbatim,
        '{"support_groups":[{"support_group":{"Support_Group_System_ID":"TEAM123","Support_Group_Name":"Service Desk","Also_Alert_1_System_ID":CONTACT456}}]}',
      );
      await expect(startEmulator({ groups: verbatim })).rejects.toThrow(/not valid JSON/);

      const wrongShape = join(dir, 'wrong.json');
      writeFileSync(wrongShape, '{"groups":[]}');
      await expect(startEmulator({ groups: wrongShape })).rejects.toThrow(/support_groups/);
      await expect(startEmulator({ groups: join(dir, 'missing.json') })).rejects.toThrow(/cannot read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('emulator: persistence with dataFile', () => {
  it('keeps contacts across a restart, writes atomically, and leaves no temporary file', async () => {
    const dir = tempDir('emu-data-');
    const dataFile = join(dir, 'contacts.json');
    try {
      const first = await startEmulator({ dataFile });
      for (const n of [1, 2, 3])
        expect(
          (await put(first, `p${n}`, `{"first_name":"P${n}","last_name":"L","email":"p${n}@example.com"}`)).status,
        ).toBe(201);
      expect((await put(first, 'p1', '{"mobile":"+61411112233","last_name":null}')).status).toBe(200);
      expect((await del(first, 'p2')).status).toBe(202);
      const before = first.contacts();
      await first.close();

      expect(readdirSync(dir)).toEqual(['contacts.json']);
      const saved = JSON.parse(readFileSync(dataFile, 'utf8')) as { contacts: unknown[] };
      expect(saved.contacts).toEqual(before);

      const second = await startEmulator({ dataFile });
      try {
        expect(second.contacts()).toEqual(before);
        expect((await getOne(second, 'p1')).json).toEqual(
          record({ System_ID: 'p1', First_Name: 'P1', Email: 'p1@example.com', Mobile: '+61411112233' }),
        );
        // The email index is rebuilt from the file too.
        expect((await put(second, 'p9', '{"first_name":"P","last_name":"L","email":"P3@example.com"}')).status).toBe(
          422,
        );
      } finally {
        await second.close();
      }
      expect(readdirSync(dir)).toEqual(['contacts.json']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes in the background while running, not only on close', async () => {
    const dir = tempDir('emu-data-');
    const dataFile = join(dir, 'contacts.json');
    const emu = await startEmulator({ dataFile });
    try {
      // A new data file is created at start.
      expect(JSON.parse(readFileSync(dataFile, 'utf8'))).toEqual({ contacts: [] });
      expect((await put(emu, 'bg', '{"first_name":"B","last_name":"G","email":"bg@example.com"}')).status).toBe(201);
      // The debounced write replaces the file (atomic rename): wait for that, not for a guessed time.
      const ids = (): string[] =>
        (JSON.parse(readFileSync(dataFile, 'utf8')) as { contacts: { system_id: string }[] }).contacts.map(
          (c) => c.system_id,
        );
      await whenFile(dataFile, () => ids().length > 0, 'the background write of contact bg', 10_000);
      expect(ids()).toEqual(['bg']);
    } finally {
      await emu.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses at start a data file it cannot write', async () => {
    const dir = tempDir('emu-data-');
    try {
      await expect(startEmulator({ dataFile: join(dir, 'no-such-dir', 'contacts.json') })).rejects.toThrow(
        /cannot write/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a data file that is not {"contacts":[…]}', async () => {
    const dir = tempDir('emu-data-');
    try {
      const dataFile = join(dir, 'contacts.json');
      writeFileSync(dataFile, '{"contacts":{}}');
      await expect(startEmulator({ dataFile })).rejects.toThrow(/contacts/);
      writeFileSync(dataFile, '{"contacts":[');
      await expect(startEmulator({ dataFile })).rejects.toThrow(/not valid JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** What the client saw for one request: a status, or `error` when the socket died. */
type Outcome = number | 'error';

async function attempt(emulator: Emulator, method: string, systemId: string, body?: string): Promise<Outcome> {
  try {
    const response = await fetch(`${emulator.baseUrl}${contactPath(systemId)}`, {
      method,
      headers: { authorization: authOf(emulator) },
      body,
    });
    await response.text();
    return response.status;
  } catch {
    return 'error';
  }
}

/** Per system_id, strictly in order: create, update, update, GET, DELETE. */
async function runScript(emulator: Emulator, systemId: string): Promise<void> {
  await attempt(emulator, 'PUT', systemId, `{"first_name":"F","last_name":"L","email":"${systemId}@example.com"}`);
  await attempt(emulator, 'PUT', systemId, '{"job_title":"A"}');
  await attempt(emulator, 'PUT', systemId, '{"job_title":"B"}');
  await attempt(emulator, 'GET', systemId);
  await attempt(emulator, 'DELETE', systemId);
}

const SCRIPT_IDS = Array.from({ length: 30 }, (_, i) => `fault-${i}`);
const FLAKY: EmulatorOptions = { failRate: 0.15, throttleRate: 0.15, resetRate: 0.1, loseRate: 0.1 };

function byKey(log: RequestLogEntry[]): Map<string, RequestLogEntry['status']> {
  return new Map(log.map((entry) => [`${entry.method} ${entry.systemId} #${entry.attempt}`, entry.status]));
}

async function runFaultScript(options: EmulatorOptions, concurrent: boolean): Promise<RequestLogEntry[]> {
  const emulator = await startEmulator(options);
  try {
    if (concurrent) await Promise.all(SCRIPT_IDS.map((id) => runScript(emulator, id)));
    else for (const id of SCRIPT_IDS) await runScript(emulator, id);
    return emulator.log();
  } finally {
    await emulator.close();
  }
}

describe('emulator: fault injection', () => {
  it('gives the same faults for the same seed, whatever the concurrency, and others for another seed', async () => {
    const a = await runFaultScript({ ...FLAKY, seed: 42 }, false);
    const b = await runFaultScript({ ...FLAKY, seed: 42 }, false);
    const c = await runFaultScript({ ...FLAKY, seed: 42 }, true);
    const d = await runFaultScript({ ...FLAKY, seed: 43 }, false);
    expect(a).toHaveLength(SCRIPT_IDS.length * 5);
    expect(b.map((entry) => entry.status)).toEqual(a.map((entry) => entry.status));
    expect(byKey(c)).toEqual(byKey(a));
    expect(d.map((entry) => entry.status)).not.toEqual(a.map((entry) => entry.status));
    // 150 draws at these rates: every kind of fault shows up.
    const statuses = new Set(a.map((entry) => entry.status));
    for (const status of [500, 429, 'reset', 'lost']) expect(statuses).toContain(status);
  });

  it('failRate 1: 500 {"message":"Transaction failed","status":500} and nothing applied', async () => {
    const emu = await startEmulator({ failRate: 1 });
    try {
      const answer = await put(emu, 'f1', '{"first_name":"F","last_name":"L","email":"f1@example.com"}');
      expect(answer.status).toBe(500);
      expect(answer.text).toBe('{"message":"Transaction failed","status":500}');
      expect(emu.contacts()).toEqual([]);
      expect((await getOne(emu, 'f1')).status).toBe(500);
      // GET all is never faulted, nor the credential check (its system_id is random: a fault would be chance).
      expect((await request(emu, 'GET', '/contacts')).status).toBe(200);
      expect((await getOne(emu, `${CREDENTIAL_CHECK_PREFIX}0123abcd`)).status).toBe(404);
      expect(emu.stats().faults.fail).toBe(2);
    } finally {
      await emu.close();
    }
  });

  it('throttleRate 1: 429 with Retry-After: 1 and nothing applied', async () => {
    const emu = await startEmulator({ throttleRate: 1 });
    try {
      const answer = await put(emu, 't1', '{"first_name":"F","last_name":"L","email":"t1@example.com"}');
      expect(answer.status).toBe(429);
      expect(answer.headers.get('retry-after')).toBe('1');
      messageOf(answer);
      expect(emu.contacts()).toEqual([]);
    } finally {
      await emu.close();
    }
  });

  it('resetRate 1: the socket dies before the write, so nothing is applied', async () => {
    const emu = await startEmulator({ resetRate: 1 });
    try {
      expect(await attempt(emu, 'PUT', 'r1', '{"first_name":"F","last_name":"L","email":"r1@example.com"}')).toBe(
        'error',
      );
      expect(emu.contacts()).toEqual([]);
      expect(emu.log().map((entry) => entry.status)).toEqual(['reset']);
    } finally {
      await emu.close();
    }
  });

  it('loseRate 1: the client gets a socket error, but the write was applied', async () => {
    const emu = await startEmulator({ loseRate: 1 });
    try {
      expect(await attempt(emu, 'PUT', 'l1', '{"first_name":"F","last_name":"L","email":"l1@example.com"}')).toBe(
        'error',
      );
      expect(emu.contacts()).toEqual([
        { system_id: 'l1', first_name: 'F', last_name: 'L', email: 'l1@example.com', job_title: null, mobile: null },
      ]);
      expect(emu.log().map((entry) => entry.status)).toEqual(['lost']);
    } finally {
      await emu.close();
    }
  });

  it('revokeAfter 3: the 4th request and every one after it is 401', async () => {
    const emu = await startEmulator({ revokeAfter: 3 });
    try {
      for (let i = 0; i < 3; i++) expect((await getOne(emu, 'nobody')).status).toBe(404);
      for (let i = 0; i < 2; i++) {
        const answer = await getOne(emu, 'nobody');
        expect(answer.status).toBe(401);
        expect(answer.text).toBe(UNAUTHORIZED_BODY);
      }
      expect(emu.stats().faults.revoked).toBe(2);
    } finally {
      await emu.close();
    }
  });

  it('numbers the attempts of each (method, system_id) from 0 in the log', async () => {
    const emu = await startEmulator();
    try {
      for (let i = 0; i < 3; i++) await getOne(emu, 'same');
      await del(emu, 'same');
      await request(emu, 'GET', '/contacts');
      expect(emu.log().map(({ method, systemId, attempt: n, status }) => [method, systemId, n, status])).toEqual([
        ['GET', 'same', 0, 404],
        ['GET', 'same', 1, 404],
        ['GET', 'same', 2, 404],
        ['DELETE', 'same', 0, 404],
        ['GET', null, 0, 200],
      ]);
    } finally {
      await emu.close();
    }
  });
});

describe('emulator: stats, latency and control routes', () => {
  it('counts requests by method, and maxInFlight reaches N for N concurrent slow requests', async () => {
    const emu = await startEmulator({ latencyMs: 150 });
    try {
      const started = performance.now();
      await Promise.all(Array.from({ length: 8 }, (_, i) => getOne(emu, `slow-${i}`)));
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
      await put(emu, 'slow-put', '{"first_name":"S","last_name":"P","email":"sp@example.com"}');
      const stats = emu.stats();
      expect(stats.requests).toBe(9);
      expect(stats.byMethod).toEqual({ GET: 8, PUT: 1 });
      expect(stats.maxInFlight).toBeGreaterThanOrEqual(8);
      expect(stats.inFlight).toBe(0);
      emu.resetStats();
      expect(emu.stats()).toEqual({ requests: 0, inFlight: 0, maxInFlight: 0, byMethod: {}, faults: {} });
      expect(emu.log()).toEqual([]);
    } finally {
      await emu.close();
    }
  });

  it('serves /__emulator/stats, log, contacts and reset-stats without credentials', async () => {
    const emu = await startEmulator();
    try {
      const origin = new URL(emu.baseUrl).origin;
      await put(emu, 'ctl', '{"first_name":"C","last_name":"T","email":"ctl@example.com"}');
      await getOne(emu, 'ctl');

      const stats = (await (await fetch(`${origin}/__emulator/stats`)).json()) as {
        requests: number;
        byMethod: Record<string, number>;
      };
      expect(stats.requests).toBe(2);
      expect(stats.byMethod).toEqual({ PUT: 1, GET: 1 });

      const log = (await (await fetch(`${origin}/__emulator/log`)).json()) as { log: RequestLogEntry[] };
      expect(log.log.map((entry) => [entry.method, entry.systemId, entry.status])).toEqual([
        ['PUT', 'ctl', 201],
        ['GET', 'ctl', 200],
      ]);
      expect(typeof log.log[0]?.t).toBe('number');

      const contacts = await (await fetch(`${origin}/__emulator/contacts`)).json();
      expect(contacts).toEqual({
        contacts: [
          {
            system_id: 'ctl',
            first_name: 'C',
            last_name: 'T',
            email: 'ctl@example.com',
            job_title: null,
            mobile: null,
          },
        ],
      });

      expect((await fetch(`${origin}/__emulator/reset-stats`)).status).toBe(405);
      const reset = await fetch(`${origin}/__emulator/reset-stats`, { method: 'POST' });
      expect(reset.status).toBe(200);
      expect(((await (await fetch(`${origin}/__emulator/stats`)).json()) as { requests: number }).requests).toBe(0);
      expect((await fetch(`${origin}/__emulator/nothing`)).status).toBe(404);
      // Control routes are not API requests: they are neither counted nor logged.
      expect(emu.stats().requests).toBe(0);
    } finally {
      await emu.close();
    }
  });

  it('honours maxBodyBytes', async () => {
    const emu = await startEmulator({ maxBodyBytes: 100 });
    try {
      expect((await put(emu, 'small', '{"first_name":"S","last_name":"M","email":"small@example.com"}')).status).toBe(
        201,
      );
      const answer = await put(
        emu,
        'big',
        JSON.stringify({ first_name: 'B'.repeat(100), last_name: 'G', email: 'big@example.com' }),
      );
      expect(answer.status).toBe(413);
      expect(answer.json).toEqual({ message: expect.any(String) as unknown, status: 413 });
    } finally {
      await emu.close();
    }
  });
});
