/** Reading an HTML report's page in tests: its data blob, and the numbers it shows. */

type Issue = [string, string, string];
export interface Blob {
  config: { idColumn: string; statuses: string[] };
  problems: [number, string, string, string, Issue[], Issue[], string][];
  changes: [number, string, string, string, string, string][];
}

export function blobOf(html: string): Blob {
  const match = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  if (match?.[1] === undefined) throw new Error('no data blob');
  return JSON.parse(match[1]) as Blob;
}

/** The number in the element carrying `attribute="value"`. */
export function shownNumber(html: string, attribute: string, value: string): number | undefined {
  const match = new RegExp(`${attribute}="${value}">([\\d,]+)<`).exec(html);
  return match?.[1] === undefined ? undefined : Number(match[1].replace(/,/g, ''));
}
