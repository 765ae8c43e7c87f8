/**
 * The browser-mode token (transport.ts): the URL printed by `serve` carries it as `?token=`; the page keeps it
 * in sessionStorage so that a reload keeps working, and drops it from the address bar so it does not end up
 * in bookmarks or screenshots.
 */
import { TOKEN_QUERY } from '../../../electron/api/transport.ts';

export const TOKEN_STORAGE_KEY = 'distill-studio.token';

export interface TokenPlace {
  readonly location: Pick<Location, 'search' | 'pathname' | 'hash'>;
  readonly storage: Pick<Storage, 'getItem' | 'setItem'>;
  readonly history: Pick<History, 'replaceState'>;
}

/** The token from the URL (stored, then removed from the URL) or from earlier in this tab; null when none. */
export function takeToken(place: TokenPlace): string | null {
  const params = new URLSearchParams(place.location.search);
  const fromUrl = params.get(TOKEN_QUERY);
  if (fromUrl) {
    place.storage.setItem(TOKEN_STORAGE_KEY, fromUrl);
    params.delete(TOKEN_QUERY);
    const rest = params.toString();
    place.history.replaceState(null, '', `${place.location.pathname}${rest ? `?${rest}` : ''}${place.location.hash}`);
    return fromUrl;
  }
  return place.storage.getItem(TOKEN_STORAGE_KEY);
}
