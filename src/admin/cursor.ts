/**
 * Keyset cursors of the admin lists: the (time, id) of the last row shown, as `TIME_ID`. Not a
 * secret and not signed: a forged cursor only starts the list somewhere else.
 */
export function encodeCursor(at: number, id: string): string {
  return `${at}_${id}`;
}

const CURSOR = /^(\d{1,16})_([A-Za-z0-9-]{1,64})$/;

export function decodeCursor(cursor: string): { at: number; id: string } | null {
  const m = CURSOR.exec(cursor);
  return m ? { at: Number(m[1]), id: m[2]! } : null;
}
