// Passkeys (method webauthn, contract §12): the browser's ceremonies
// around the API.  Binary members travel as base64url without padding
// both ways; these helpers convert them to and from ArrayBuffers.
//   register(side, options, name): navigator.credentials.create with the
//     activation's publicKey options, then POST verify with the result.
//   assertion(side): POST trigger for request options,
//     navigator.credentials.get, and the X-MFA-Code value (contract §12.4).
//   answer(pk): the same for request options already at hand (a sign-in's
//     5900 carries them, contract §10.12).
import { call, doc } from './api.js';

export function toB64u(buf) {
	const bytes = new Uint8Array(buf);
	let s = '';
	for (const b of bytes)
		s += String.fromCharCode(b);
	return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromB64u(text) {
	const b64 = String(text).replace(/-/g, '+').replace(/_/g, '/');
	const s = atob(b64 + '='.repeat((4 - b64.length % 4) % 4));
	const out = new Uint8Array(s.length);
	for (let i = 0; i < s.length; i++)
		out[i] = s.charCodeAt(i);
	return out.buffer;
}

function descriptors(list) {
	return (list || []).map((d) => ({ type: d.type, id: fromB64u(d.id) }));
}

export function supported() {
	return !!(window.PublicKeyCredential && navigator.credentials);
}

// The creation options of activate's answer, as the browser takes them.
function creationOptions(pk) {
	return Object.assign({}, pk, {
		challenge: fromB64u(pk.challenge),
		user: Object.assign({}, pk.user, { id: fromB64u(pk.user.id) }),
		excludeCredentials: descriptors(pk.excludeCredentials),
	});
}

// Creates the passkey and registers it (POST verify): the exchange of
// verify, or throws the browser's error (cancelled, no authenticator).
export async function register(side, pk, name) {
	const cred = await navigator.credentials.create({ publicKey: creationOptions(pk) });
	const attrs = {
		type: 'webauthn',
		credential: {
			id: cred.id,
			type: 'public-key',
			response: {
				clientDataJSON: toB64u(cred.response.clientDataJSON),
				attestationObject: toB64u(cred.response.attestationObject),
			},
		},
	};
	if (name)
		attrs.name = name;
	return call({ side, method: 'POST', path: 'multi-factor-auth-type-verify',
		body: doc('multi-factor-auth-type-verify', attrs),
		summary: (x) => x.status === 204 ? 'The passkey is registered.' : null });
}

// A fresh challenge (trigger) answered by the passkey: the X-MFA-Code
// value, or null when the trigger was refused (ex has why).
export async function assertion(side) {
	const ex = await call({ side, method: 'POST', path: 'multi-factor-auth-trigger',
		body: doc('multi-factor-auth-trigger', { type: 'webauthn' }), quiet: true });
	if (ex.status !== 200)
		return null;
	return answer(ex.json.data.attributes.publicKey);
}

// The request options answered by the passkey: the X-MFA-Code value, or
// throws the browser's error (cancelled, no authenticator).
export async function answer(pk) {
	const got = await navigator.credentials.get({ publicKey: Object.assign({}, pk, {
		challenge: fromB64u(pk.challenge),
		allowCredentials: descriptors(pk.allowCredentials),
	}) });
	const r = got.response;
	const json = JSON.stringify({
		id: got.id,
		clientDataJSON: toB64u(r.clientDataJSON),
		authenticatorData: toB64u(r.authenticatorData),
		signature: toB64u(r.signature),
		userHandle: r.userHandle ? toB64u(r.userHandle) : null,
	});
	return toB64u(new TextEncoder().encode(json));
}
