/**
 * Real helpdesk and spreadsheet exports (issue 23; fixtures and their sources in
 * test/fixtures/exports/README.md) with the map files shipped in samples/ (issue 24, item 8).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCsv } from '../src/csv/read.js';
import { ROOT, tempDir, writeFile } from './helpers.js';

const EXPORTS = join(ROOT, 'test', 'fixtures', 'exports');

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

/** The `--map` each unsent column is suggested for, by header. */
async function suggestions(file: string, map: string[]): Promise<Record<string, string>> {
  const source = await openCsv(file, { map });
  source.close();
  return Object.fromEntries(
    source.header.mapping.unsent.flatMap((u) =>
      u.suggestion === undefined ? [] : [[source.header.columns[u.column] ?? '', u.suggestion.map]],
    ),
  );
}

describe('mapping advice that never sends wrong data (issue 23, item 5)', () => {
  it('Zendesk: dates are never suggested as names; the one Name column is suggested as full_name', async () => {
    expect(await suggestions(join(EXPORTS, 'zendesk-team-members.csv'), ['ID=system_id'])).toEqual({
      Name: 'Name=full_name',
    });
  });

  it('Freshdesk: "Last Login" is not a last name; "Full Name" is suggested as full_name', async () => {
    expect(await suggestions(join(EXPORTS, 'freshdesk-contacts.csv'), ['Contact ID=system_id'])).toEqual({
      'Full Name': 'Full Name=full_name',
    });
  });

  it('ServiceNow: "name" is not suggested where first_name and last_name columns exist', async () => {
    expect(await suggestions(join(EXPORTS, 'servicenow-sys_user.csv'), ['sys_id=system_id'])).toEqual({});
  });

  it('a role is not a job title, a timestamp is not a name: suggested only when the values look like the field', async () => {
    const dir = tempDir('advice-');
    const roles = writeFile(
      dir,
      'roles.csv',
      'Key,Role,Position,Last Name Changed,Last name (legal)\n1,Agent,Admin,2024-11-01T10:00:00Z,Lee\n2,Admin,Supervisor,2024-11-02 09:00,Ng\n',
    );
    expect(await suggestions(roles, ['Key=system_id'])).toEqual({ 'Last name (legal)': 'Last name (legal)=last_name' });
    const titles = writeFile(dir, 'titles.csv', 'Key,Position\n1,Service Desk Lead\n2,Network Engineer\n');
    expect(await suggestions(titles, ['Key=system_id'])).toEqual({ Position: 'Position=job_title' });
  });

  it('the helpdesks’ own mobile and title headers map by themselves', async () => {
    const hubspot = await openCsv(join(EXPORTS, 'hubspot-contacts.csv'), { map: ['Record ID=system_id'] });
    hubspot.close();
    expect(hubspot.header.columns[hubspot.header.fields.mobile ?? -1]).toBe('Mobile Phone Number');
    const servicenow = await openCsv(join(EXPORTS, 'servicenow-sys_user.csv'), { map: ['sys_id=system_id'] });
    servicenow.close();
    expect(servicenow.header.columns[servicenow.header.fields.mobile ?? -1]).toBe('mobile_phone');
    expect(servicenow.header.columns[servicenow.header.fields.job_title ?? -1]).toBe('title');
  });

  it('Record ID, sys_id and Agent ID are suggested for system_id, never taken by themselves', async () => {
    await expect(openCsv(join(EXPORTS, 'hubspot-contacts.csv'))).rejects.toThrow(
      'no system_id column; the headers are "Record ID"',
    );
    await expect(openCsv(join(EXPORTS, 'hubspot-contacts.csv'))).rejects.toThrow("pass --map 'Record ID=system_id'");
    await expect(openCsv(join(EXPORTS, 'servicenow-sys_user.csv'))).rejects.toThrow('pass --map sys_id=system_id');
    const agents = writeFile(tempDir('advice-'), 'agents.csv', 'Agent ID,Email\n7,a@x.com\n');
    await expect(openCsv(agents)).rejects.toThrow("pass --map 'Agent ID=system_id'");
  });
});
