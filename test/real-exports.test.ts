/**
 * Real helpdesk and spreadsheet exports (issue 23; fixtures and their sources in
 * test/fixtures/exports/README.md) with the map files shipped in samples/ (issue 24, item 8).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCsv } from '../src/csv/read.js';
import { ROOT } from './helpers.js';

export const EXPORTS = join(ROOT, 'test', 'fixtures', 'exports');

describe('the samples/*.map files against their products’ exports', () => {
  it.each([
    ['zendesk', 'zendesk-team-members.csv', { system_id: 'ID', email: 'Email', full_name: 'Name' }],
    [
      'freshdesk',
      'freshdesk-contacts.csv',
      { system_id: 'Contact ID', email: 'Email', job_title: 'Title', mobile: 'Mobile Phone', full_name: 'Full Name' },
    ],
    [
      'servicenow',
      'servicenow-sys_user.csv',
      {
        system_id: 'sys_id',
        first_name: 'first_name',
        last_name: 'last_name',
        email: 'email',
        job_title: 'title',
        mobile: 'mobile_phone',
      },
    ],
    [
      'hubspot',
      'hubspot-contacts.csv',
      {
        system_id: 'Record ID',
        first_name: 'First Name',
        last_name: 'Last Name',
        email: 'Email',
        job_title: 'Job Title',
        mobile: 'Mobile Phone Number',
      },
    ],
  ])('samples/%s.map maps %s', async (product, file, expected) => {
    const source = await openCsv(join(EXPORTS, file), { mapFile: join(ROOT, 'samples', `${product}.map`) });
    source.close();
    const mapped = Object.fromEntries(
      Object.entries(source.header.fields).map(([field, index]) => [field, source.header.columns[index]]),
    );
    expect(mapped).toEqual(expected);
  });
});
