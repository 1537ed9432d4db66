/**
 * Revision numbers from one counter for the whole process. A number is never given twice, not even to a history or a
 * maintenance log that replaced another (an asset reset, a resized definition), so a reader that noted one can trust
 * "same number, nothing changed" without keeping a copy of what it read.
 */
let lastRevision = 0;

/** A revision number no one has had before. */
export function newRevision(): number {
  return ++lastRevision;
}
