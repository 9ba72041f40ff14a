/**
 * The contact fields, on their own so that modules that only need the names (header matching,
 * export) do not load the schema, zod and libphonenumber's metadata.
 */

/** The fields the API allows in a PUT body ("The fields allowed in the JSON payload are"). */
export const CONTACT_FIELDS = ['first_name', 'last_name', 'email', 'job_title', 'mobile'] as const;
export type ContactField = (typeof CONTACT_FIELDS)[number];

/** "The following fields are mandatory in the JSON when adding a new Contact". */
export const REQUIRED_ON_CREATE = ['first_name', 'last_name', 'email'] as const satisfies readonly ContactField[];
