/**
 * Support groups, which the emulator needs for one rule of the API document: "The Contact to
 * be deleted must not be the Support Lead or Also Alert for any Support Group." They are read
 * in exactly the shape of the document's example, `{"support_groups":[{"support_group":{…}}]}`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { FileError } from '../errors.js';
import { FILE_ERRORS, HINTS } from '../error-messages.js';

/** The document's example has six Also Alert slots per group. */
export const ALSO_ALERT_SLOTS = [1, 2, 3, 4, 5, 6] as const;

const optionalText = z.string().nullable().optional();

/**
 * One `support_group` record. Only the ids and the name matter to the emulator; the other keys
 * of the document's example are typed, and unknown keys are kept, so a real listing loads too.
 */
const supportGroupSchema = z.looseObject({
  Support_Group_System_ID: z.string(),
  Support_Group_Name: z.string(),
  Support_Group_Code: optionalText,
  Department_Code: optionalText,
  Department_System_ID: optionalText,
  Support_Lead_Email: optionalText,
  Support_Lead_System_ID: optionalText,
  Also_Alert_1_Email: optionalText,
  Also_Alert_1_System_ID: optionalText,
  Also_Alert_2_Email: optionalText,
  Also_Alert_2_System_ID: optionalText,
  Also_Alert_3_Email: optionalText,
  Also_Alert_3_System_ID: optionalText,
  Also_Alert_4_Email: optionalText,
  Also_Alert_4_System_ID: optionalText,
  Also_Alert_5_Email: optionalText,
  Also_Alert_5_System_ID: optionalText,
  Also_Alert_6_Email: optionalText,
  Also_Alert_6_System_ID: optionalText,
  Active: optionalText,
  CCS_Only: optionalText,
  Exclude_From_NPS: optionalText,
});

const supportGroupsDocumentSchema = z.object({
  support_groups: z.array(z.object({ support_group: supportGroupSchema })),
});

export type SupportGroup = z.infer<typeof supportGroupSchema>;
export type SupportGroupsDocument = z.infer<typeof supportGroupsDocumentSchema>;

/** Why a contact may not be deleted: the first group and role that names it. */
export interface Protection {
  groupId: string;
  groupName: string;
  /** "the Support Lead" or "Also Alert N", ready for a sentence. */
  role: string;
}

/** system_id → the first group/role naming it, so the DELETE check is one Map lookup. */
export type ProtectionIndex = ReadonlyMap<string, Protection>;

/** samples/support-groups.json, found from this module's URL: the same from src/ (vitest) and dist/. */
export const DEFAULT_GROUPS_FILE = fileURLToPath(new URL('../../samples/support-groups.json', import.meta.url));

function parseGroupsDocument(value: unknown, file: string | undefined): SupportGroupsDocument {
  const result = supportGroupsDocumentSchema.safeParse(value);
  if (result.success) return result.data;
  const where = file === undefined ? 'the support groups document' : `the support groups file ${file}`;
  const first = result.error.issues[0];
  const path = first === undefined ? '' : first.path.join('.');
  throw new FileError(
    `${where} is not in the shape {"support_groups":[{"support_group":{…}}]}: ${path} ${first?.message ?? ''}`.trim(),
    { file },
  );
}

function readGroupsFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new FileError(
      `cannot read the support groups file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      {
        file,
        cause: error,
      },
    );
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new FileError(FILE_ERRORS.groupsNotJson(file, (error as Error).message), {
      file,
      cause: error,
      // The document's own example has `"Also_Alert_1_System_ID":CONTACT456`, unquoted.
      hint: HINTS.quoteBareId(),
    });
  }
}

/** Reads and checks the groups from a path, an object, or (undefined) the bundled sample. */
export function loadSupportGroups(source: string | SupportGroupsDocument | undefined): SupportGroupsDocument {
  if (typeof source === 'object') return parseGroupsDocument(source, undefined);
  const file = source ?? DEFAULT_GROUPS_FILE;
  return parseGroupsDocument(readGroupsFile(file), file);
}

export function createProtectionIndex(document: SupportGroupsDocument): ProtectionIndex {
  const index = new Map<string, Protection>();
  const add = (systemId: string | null | undefined, group: SupportGroup, role: string): void => {
    if (systemId === null || systemId === undefined || index.has(systemId)) return;
    index.set(systemId, { groupId: group.Support_Group_System_ID, groupName: group.Support_Group_Name, role });
  };
  for (const { support_group: group } of document.support_groups) {
    add(group.Support_Lead_System_ID, group, 'the Support Lead');
    for (const slot of ALSO_ALERT_SLOTS) add(group[`Also_Alert_${slot}_System_ID`], group, `Also Alert ${slot}`);
  }
  return index;
}

/** The 400 message for a refused DELETE, naming the group so a person can fix it. */
export function describeProtection(systemId: string, protection: Protection): string {
  return `Contact ${systemId} is ${protection.role} of support group "${protection.groupName}" (${protection.groupId}); reassign the group first`;
}
