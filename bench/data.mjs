/**
 * Deterministic test data: the same seed and row count always give byte-identical files, so
 * generated files can be cached in bench/.data/ (git-ignored) and runs stay comparable.
 *
 * The rows look like a real contact list, not like data tuned to be cheap to check:
 * - six columns: system_id, first_name, last_name, email, job_title, mobile;
 * - about 92 % of rows have a mobile, in E.164, from a mix of countries (AU, GB, US, DE, FR,
 *   NZ, IN, BR), drawn from real mobile ranges, so libphonenumber's validity check runs on most rows;
 * - some names with accents (UTF-8), some job titles with a comma (quoted cells), ~10 % of
 *   job titles empty;
 * - every email is unique (the in-file duplicate check finds nothing, but still runs on every row).
 */
import { closeSync, existsSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Bump when the generated content changes, so cached files are made again. */
export const DATA_VERSION = 1;

/** mulberry32: a small, fast, seedable PRNG. Returns floats in [0, 1). */
export function createRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// [as shown, as used in an email address]
const FIRST = [
  ['Olivia', 'olivia'],
  ['Liam', 'liam'],
  ['Emma', 'emma'],
  ['Noah', 'noah'],
  ['Ava', 'ava'],
  ['Oliver', 'oliver'],
  ['Sophia', 'sophia'],
  ['Elijah', 'elijah'],
  ['Isabella', 'isabella'],
  ['James', 'james'],
  ['Mia', 'mia'],
  ['William', 'william'],
  ['Charlotte', 'charlotte'],
  ['Lucas', 'lucas'],
  ['Amelia', 'amelia'],
  ['Henry', 'henry'],
  ['Harper', 'harper'],
  ['Jack', 'jack'],
  ['Chloé', 'chloe'],
  ['José', 'jose'],
  ['Zoë', 'zoe'],
  ['Søren', 'soren'],
  ['Priya', 'priya'],
  ['Wei', 'wei'],
  ['Aroha', 'aroha'],
  ['Mateo', 'mateo'],
  ['Fatima', 'fatima'],
  ['Hiroshi', 'hiroshi'],
  ['Ngaio', 'ngaio'],
  ['Siobhán', 'siobhan'],
  ['Björn', 'bjorn'],
  ['Anaïs', 'anais'],
];
const LAST = [
  ['Smith', 'smith'],
  ['Jones', 'jones'],
  ['Williams', 'williams'],
  ['Brown', 'brown'],
  ['Wilson', 'wilson'],
  ['Taylor', 'taylor'],
  ['Nguyen', 'nguyen'],
  ['Johnson', 'johnson'],
  ['Martin', 'martin'],
  ['White', 'white'],
  ['Anderson', 'anderson'],
  ['Walker', 'walker'],
  ['Thompson', 'thompson'],
  ['Harris', 'harris'],
  ['Lee', 'lee'],
  ['Ryan', 'ryan'],
  ['Robinson', 'robinson'],
  ['Kelly', 'kelly'],
  ['King', 'king'],
  ['Müller', 'mueller'],
  ['García', 'garcia'],
  ['O’Brien', 'obrien'],
  ['Nováková', 'novakova'],
  ['Sørensen', 'sorensen'],
  ['Patel', 'patel'],
  ['Tanaka', 'tanaka'],
  ['Te Whata', 'tewhata'],
  ['da Silva', 'dasilva'],
  ['Schäfer', 'schaefer'],
  ['Dubois', 'dubois'],
  ['Kowalski', 'kowalski'],
  ['Ahmed', 'ahmed'],
];
const TITLES = [
  'Analyst',
  'Senior Analyst',
  'IT Manager',
  'Service Desk Lead',
  'Network Engineer',
  'CIO',
  'CTO',
  'Systems Administrator',
  'Security Officer',
  'Operations Manager',
  'Project Manager',
  'Consultant',
  'Head of Infrastructure',
  'DevOps Engineer',
  'Support Engineer',
  'Database Administrator',
  'Director, Technology',
  'Manager, Service Delivery',
  'Team Lead',
  'Business Analyst',
];
const DOMAINS = [
  'example.com',
  'example.org',
  'example.net',
  'corp.example',
  'mail.example.com',
  'example.com.au',
  'example.co.uk',
];
const US_AREAS = [
  '212',
  '213',
  '305',
  '312',
  '404',
  '415',
  '469',
  '503',
  '512',
  '602',
  '617',
  '646',
  '702',
  '713',
  '818',
  '917',
];

function digits(random, n) {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(48 + Math.floor(random() * 10));
  return s;
}

/** A mobile number in E.164 from a real mobile range. */
function mobile(random) {
  const r = random();
  if (r < 0.3) return `+614${'0123'[Math.floor(random() * 4)]}${digits(random, 7)}`; // AU 040x–043x
  if (r < 0.5) return `+447${'4579'[Math.floor(random() * 4)]}${digits(random, 8)}`; // GB 074/075/077/079
  if (r < 0.68) {
    const exchange = String(200 + Math.floor(random() * 800));
    return `+1${US_AREAS[Math.floor(random() * US_AREAS.length)]}${exchange}${digits(random, 4)}`; // US
  }
  if (r < 0.78)
    return random() < 0.7 ? `+49${random() < 0.5 ? '151' : '176'}${digits(random, 8)}` : `+49170${digits(random, 7)}`; // DE
  if (r < 0.86) return `+336${digits(random, 8)}`; // FR 06
  if (r < 0.91) return `+6421${digits(random, 6)}`; // NZ 021
  if (r < 0.96) return `+919${digits(random, 9)}`; // IN
  return `+55119${digits(random, 8)}`; // BR São Paulo mobile
}

function pick(random, list) {
  return list[Math.floor(random() * list.length)];
}

function csvCell(value) {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export const HEADER = ['system_id', 'first_name', 'last_name', 'email', 'job_title', 'mobile'];

/**
 * Calls `onRow(cells)` for rows 1..rows. `prefix` goes into every system_id and email, so
 * files made with different prefixes never collide in one emulator (each import run then
 * creates fresh contacts).
 */
export function forEachRow({ rows, prefix = 'C', seed = 42 }, onRow) {
  const random = createRandom(seed);
  const tag = prefix.toLowerCase();
  for (let i = 1; i <= rows; i++) {
    const [first, firstMail] = pick(random, FIRST);
    const [last, lastMail] = pick(random, LAST);
    const title = random() < 0.1 ? '' : pick(random, TITLES);
    const phone = random() < 0.92 ? mobile(random) : '';
    const domain = pick(random, DOMAINS);
    onRow([
      `${prefix}${String(i).padStart(7, '0')}`,
      first,
      last,
      `${firstMail}.${lastMail}.${tag}${i}@${domain}`,
      title,
      phone,
    ]);
  }
}

function writeAtomically(path, produce) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    let buffer = '';
    produce((text) => {
      buffer += text;
      if (buffer.length > 1 << 20) {
        writeSync(fd, buffer);
        buffer = '';
      }
    });
    if (buffer.length > 0) writeSync(fd, buffer);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Writes the CSV unless a file of the same version, size and prefix is already there. Returns the path. */
export function ensureCsv(dir, { rows, prefix = 'C', seed = 42 }) {
  const path = `${dir}/contacts-v${DATA_VERSION}-${prefix}-${seed}-${rows}.csv`;
  if (existsSync(path)) return path;
  writeAtomically(path, (write) => {
    write(`${HEADER.join(',')}\n`);
    forEachRow({ rows, prefix, seed }, (cells) => write(`${cells.map(csvCell).join(',')}\n`));
  });
  return path;
}

/**
 * The emulator's `--data` file: `{"contacts":[…]}` with the same contacts a CSV of these
 * options holds (empty cells become null), so the emulator starts with `rows` contacts.
 */
export function ensureEmulatorData(dir, { rows, prefix = 'X', seed = 7 }) {
  const path = `${dir}/emulator-v${DATA_VERSION}-${prefix}-${seed}-${rows}.json`;
  if (existsSync(path)) return path;
  writeAtomically(path, (write) => {
    write('{"contacts":[\n');
    let first = true;
    forEachRow({ rows, prefix, seed }, ([id, firstName, lastName, email, title, phone]) => {
      const contact = {
        system_id: id,
        first_name: firstName,
        last_name: lastName,
        email,
        job_title: title || null,
        mobile: phone || null,
      };
      write(`${first ? '' : ',\n'}${JSON.stringify(contact)}`);
      first = false;
    });
    write('\n]}\n');
  });
  return path;
}
