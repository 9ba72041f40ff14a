/**
 * The contact fields: the one list. Everything else that names them (the zod schemas in
 * contact.ts, export's columns, the emulator's record and data file, the planner) is derived
 * from it. On their own so that modules that only need the names (header matching, export) do
 * not load the schema, zod and libphonenumber's metadata.
 */

/** The fields the API allows in a PUT body ("The fields allowed in the JSON payload are"). */
export const CONTACT_FIELDS = ['first_name', 'last_name', 'email', 'job_title', 'mobile'] as const;
export type ContactField = (typeof CONTACT_FIELDS)[number];

/** "The following fields are mandatory in the JSON when adding a new Contact". */
export const REQUIRED_ON_CREATE = ['first_name', 'last_name', 'email'] as const satisfies readonly ContactField[];

/** The warning for a file that can create no one: said before anything is sent, and in the summary. */
export function cannotCreate(missing: readonly ContactField[]): string {
  return (
    `no column gives ${missing.join(', ')}, which creating a contact needs: only contacts already in CIOPulse can be updated, ` +
    `and every new one would be refused; map a column to each (one name column: --map '<header>=full_name')`
  );
}

/** The first columns of every export, in this order (README, "export"): the key, then the fields. */
export const EXPORT_COLUMNS = ['system_id', ...CONTACT_FIELDS] as const;
export type ExportColumn = (typeof EXPORT_COLUMNS)[number];

/**
 * A column's key as GET returns it: PascalCase with underscores, as in the API document's only
 * listing example (`Support_Group_System_ID`): `first_name` → `First_Name`, `system_id` → `System_ID`.
 */
export function apiKey(column: ExportColumn): string {
  return column
    .split('_')
    .map((part) => (part === 'id' ? 'ID' : part.charAt(0).toUpperCase() + part.slice(1)))
    .join('_');
}

/** Every field set to null: a contact with nothing stored yet. */
export function emptyFields(): { [K in ContactField]: null } {
  return Object.fromEntries(CONTACT_FIELDS.map((field) => [field, null])) as { [K in ContactField]: null };
}
