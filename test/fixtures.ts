/**
 * The suite's fixed data, in one place and free of imports, so that test/global-setup.ts (which
 * runs outside the test workers) can share it with the tests.
 */

/**
 * The user's API key as the tests use it. test/global-setup.ts greps everything the CLI printed
 * or wrote during the whole suite for it, plain and as the base64 Basic credential.
 */
export const TEST_PORTAL_CODE = 'TESTPORTAL';
export const TEST_API_KEY = 'tEsTkEy0NeverPrinted1ZQXW9vb8nm7lk6jh5gf';

/** The standard contacts header: every field, in the order export writes them. */
export const CSV_HEADER = 'system_id,first_name,last_name,email,job_title,mobile';
