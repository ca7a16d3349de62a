/**
 * Tags as the API keeps them (admin/links.py clean_tags): trimmed, lower case, unique, at most
 * 64 characters, no comma (tags travel comma-separated in CSV), at most 32 on a link.
 */

export const MAX_TAGS = 32;
export const MAX_TAG_LENGTH = 64;
// Control characters other than tab: the API refuses them in titles and tags (admin/text.py).
export const CONTROL_CHARACTERS = /[\x00-\x08\x0a-\x1f\x7f]/;

export function normalizeTag(tag: string): string {
  return tag.trim().toLowerCase();
}

/** The tags typed or pasted into a box: "Spring, newsletter ,," is ["spring", "newsletter"]. */
export function parseTags(text: string): string[] {
  return addTags([], text);
}

/** ``existing`` plus the tags in ``text`` not already there, in the order typed (each made by ``normalize``). */
export function addTags(existing: readonly string[], text: string, normalize: (tag: string) => string = normalizeTag): string[] {
  const tags = [...existing];
  for (const part of text.split(",")) {
    const tag = normalize(part);
    if (tag && !tags.includes(tag)) tags.push(tag);
  }
  return tags;
}

/** Why a tag cannot be saved, or null when it can. */
export function tagProblem(tag: string): string | null {
  if (tag.length > MAX_TAG_LENGTH) return `“${tag.slice(0, 20)}…” is longer than ${MAX_TAG_LENGTH} characters.`;
  if (CONTROL_CHARACTERS.test(tag)) return "A tag cannot contain line breaks or control characters.";
  return null;
}

/** The same tags, whatever their order or case (how a form knows whether they changed). */
export function sameTags(a: readonly string[], b: readonly string[]): boolean {
  const left = [...new Set(a.map(normalizeTag))].sort();
  const right = [...new Set(b.map(normalizeTag))].sort();
  return left.length === right.length && left.every((tag, index) => tag === right[index]);
}
