/**
 * Passwords out of messages and logs. A proxy that needs a password takes it in its URL
 * (`http://user:password@proxy.example:3128`); whatever is said about that URL shows `user:***@` instead.
 */

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * One URL as given (parsable or not) with the password of its userinfo replaced by `***`. Everything
 * between the first ':' after the user name and the LAST '@' is the password, so one holding '@', '/'
 * or a space (not valid in a URL, but typed by people) is hidden whole. A text without userinfo is returned as is.
 */
export function redactUrl(text: string): string {
  const scheme = SCHEME.exec(text)?.[0];
  if (scheme === undefined) return text;
  const rest = text.slice(scheme.length);
  const at = rest.lastIndexOf("@");
  if (at < 0) return text;
  const userinfo = rest.slice(0, at);
  const colon = userinfo.indexOf(":");
  if (colon < 0) return text;
  return `${scheme}${userinfo.slice(0, colon)}:***${rest.slice(at)}`;
}

/**
 * Free text (an error message from a library) with the password of every URL in it replaced by `***`.
 * A URL ends at white space or a quote; within it, the password runs to its last '@'.
 */
export function redactUrls(text: string): string {
  return text.replace(/[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s"'`<>]*/g, (url) => redactUrl(url));
}
