// Calls to the Glue APIs with fetch, and the log of every exchange shown
// beside the forms (request, response, a readable summary).
//
// The APIs live on the origin that serves these pages: the Storefront API
// at <resource>, the Backend API at backend/<resource>, both relative to
// the page (so the pages also work under a path prefix).  Tokens live in
// sessionStorage (per tab, gone with it), never in cookies.

import { h, clear, put, countdown, duration } from './dom.js';

const SIDES = {
	storefront: { prefix: '', key: 'glue-mfa.storefront', name: 'Storefront' },
	backend: { prefix: 'backend/', key: 'glue-mfa.backend', name: 'Back office' },
};

const JSONAPI = 'application/vnd.api+json';

// --- session ------------------------------------------------------------

export function session(side) {
	try {
		return JSON.parse(sessionStorage.getItem(SIDES[side].key)) || null;
	} catch (e) {
		return null;
	}
}

export function saveSession(side, s) {
	sessionStorage.setItem(SIDES[side].key, JSON.stringify(s));
	document.dispatchEvent(new CustomEvent('glue-session', { detail: side }));
}

export function clearSession(side) {
	sessionStorage.removeItem(SIDES[side].key);
	document.dispatchEvent(new CustomEvent('glue-session', { detail: side }));
}

// Tokens from a Storefront access-tokens/refresh-tokens resource or a
// Backend OAuth answer, merged into the stored session.
export function storeTokens(side, ex, extra) {
	let t;
	if (side === 'backend')
		t = { access: ex.json.access_token, refresh: ex.json.refresh_token,
		    ttl: ex.json.expires_in };
	else {
		const a = ex.json.data.attributes;
		t = { access: a.accessToken, refresh: a.refreshToken, ttl: a.expiresIn };
	}
	const s = Object.assign(session(side) || {}, extra || {}, {
		accessToken: t.access,
		refreshToken: t.refresh,
		expiresAt: Date.now() + Number(t.ttl) * 1000,
	});
	saveSession(side, s);
	return s;
}

// --- errors in plain words ----------------------------------------------

const PLAIN = {
	'001': 'Your session is no longer valid. Please sign in again.',
	'002': 'You are not signed in.',
	'003': 'Wrong e-mail address or password.',
	'004': 'The session could not be renewed. Please sign in again.',
	'113': 'Too many failed sign-ins. Please wait before trying again.',
	'400': 'An account with this e-mail address already exists.',
	'406': 'The two passwords do not match.',
	'408': 'The current password is wrong.',
	'411': 'This request is not allowed for your account.',
	'5900': 'This action needs a verification code.',
	'5901': 'That code is not valid. It may be mistyped, expired, already used, or replaced by a newer code.',
	'5902': 'No method was chosen.',
	'5904': 'This method is already switched on.',
	'5906': 'This method is not available in this state (not offered, not active, or no activation pending).',
	'5907': 'No such customer.',
	'5909': 'Your user account no longer exists.',
	'5910': 'The code could not be sent. Please try again later.',
	'5911': 'Too many wrong codes: verification is locked for a while.',
	'5912': 'A code was sent a moment ago. Please use it, or wait before asking for another.',
};

// The first JSON:API error of an exchange (or {} when there is none).
function firstError(ex) {
	return (ex.json && Array.isArray(ex.json.errors) && ex.json.errors[0]) || {};
}

// The JSON:API code; on the OAuth endpoints the "code" member their MFA
// answers carry (contract §10.12).
export function errorCode(ex) {
	const oauth = ex.json && !Array.isArray(ex.json.errors) && typeof ex.json.code === 'string';
	return String(oauth ? ex.json.code : firstError(ex).code || '');
}

export function retryAfter(ex) {
	const v = parseInt(ex.headers['retry-after'] || '', 10);
	return Number.isFinite(v) && v > 0 ? v : 0;
}

// A sentence for an error answer: plain words for the codes people meet,
// the server's detail otherwise.
export function explain(ex) {
	if (ex.networkError)
		return `The server could not be reached (${ex.networkError}).`;
	const e = firstError(ex);
	let text = PLAIN[e.code] || PLAIN[errorCode(ex)];	/* OAuth's "code" (§10.12) */
	if (!text && ex.json && ex.json.error)	/* OAuth (RFC 6749 §5.2) */
		text = ex.json.error === 'invalid_grant' && ex.status === 400 ?
		    'Wrong e-mail address or password.' :
		    ex.json.error_description || ex.json.error;
	if (!text)
		text = e.detail || `${ex.status} ${ex.statusText}`;
	const ptr = e.source && (e.source.pointer || e.source.header || e.source.parameter);
	if (ptr && !PLAIN[e.code])
		text += ` (${ptr.replace('/data/attributes/', '')})`;
	return text;
}

// Shows explain(ex) in a message region, with a live Retry-After
// countdown when the answer has one.
export function showError(el, ex, prefix) {
	el.className = 'msg err';
	const text = (prefix ? prefix + ' ' : '') + explain(ex);
	const wait = retryAfter(ex);
	if (!wait) {
		if (el._stopCountdown)
			el._stopCountdown();
		clear(el);
		put(el, text);
	} else {
		countdown(el, wait, (left) => left > 0 ?
		    [text, ' ', h('strong', { class: 'wait', text: `Try again in ${duration(left)}.` })] :
		    [text, ' ', h('strong', { class: 'wait', text: 'You can try again now.' })]);
	}
	el.hidden = false;
	return el;
}

// --- the exchange log -----------------------------------------------------

const MAX_LOG = 30;
const SHOWN_REQ = ['accept', 'content-type', 'authorization', 'x-mfa-code'];
const SHOWN_RES = ['content-type', 'x-request-id', 'retry-after', 'allow', 'location', 'cache-control',
	'x-mfa-recovery-codes-remaining'];
const REASON = { 200: 'OK', 201: 'Created', 204: 'No Content', 400: 'Bad Request',
	401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
	406: 'Not Acceptable', 409: 'Conflict', 413: 'Content Too Large',
	415: 'Unsupported Media Type', 422: 'Unprocessable Content', 429: 'Too Many Requests',
	500: 'Internal Server Error', 503: 'Service Unavailable' };

// Passwords typed into the forms are never echoed on screen.
function maskJson(v) {
	if (Array.isArray(v))
		return v.map(maskJson);
	if (v && typeof v === 'object') {
		const o = {};
		for (const [k, x] of Object.entries(v))
			o[k] = /password/i.test(k) && typeof x === 'string' ? '••••••' : maskJson(x);
		return o;
	}
	return v;
}

function maskForm(s) {
	return s.split('&').map((p) => /^password=/i.test(p) ? 'password=••••••' : p).join('&');
}

function shortToken(v) {
	const m = /^(Bearer\s+)(.*)$/i.exec(v);
	return m && m[2].length > 10 ? `${m[1]}${m[2].slice(0, 6)}… (${m[2].length} characters)` : v;
}

function requestText(ex) {
	const lines = [`${ex.method} ${ex.url}`];
	for (const [k, v] of Object.entries(ex.reqHeaders))
		lines.push(`${k}: ${k.toLowerCase() === 'authorization' ? shortToken(v) : v}`);
	if (ex.reqBody !== undefined) {
		lines.push('');
		lines.push(ex.reqForm ? maskForm(ex.reqBody) :
		    JSON.stringify(maskJson(JSON.parse(ex.reqBody)), null, 2));
	}
	return lines.join('\n');
}

function responseText(ex) {
	if (ex.networkError)
		return `(no response: ${ex.networkError})`;
	const lines = [`HTTP ${ex.status} ${ex.statusText}`];
	for (const k of SHOWN_RES)
		if (ex.headers[k] !== undefined)
			lines.push(`${k.replace(/(^|-)([a-z])/g, (m, a, b) => a + b.toUpperCase())}: ${ex.headers[k]}`);
	if (ex.text) {
		lines.push('');
		lines.push(ex.json !== undefined ? JSON.stringify(ex.json, null, 2) : ex.text);
	}
	return lines.join('\n');
}

function logBox() {
	return document.getElementById('exchanges');
}

// Adds one exchange to the top of the log, newest open, older ones folded.
function logExchange(ex, summary) {
	const box = logBox();
	if (!box)
		return;
	const ok = !ex.networkError && ex.status < 400;
	const path = ex.url.replace(location.origin, '');
	const entry = h('article', { class: `exchange ${ok ? 'ok' : 'err'}`,
		dataset: { status: String(ex.status || 0), requestId: ex.headers['x-request-id'] || '' } },
	    h('h3', {},
		h('span', { class: 'badge', text: ex.networkError ? 'ERR' : String(ex.status) }), ' ',
		h('span', { class: 'line', text: `${ex.method} ${path}` }), ' ',
		h('span', { class: 'ms', text: `${ex.ms} ms` })),
	    h('p', { class: 'summary', text: summary || (ok ? defaultSummary(ex) : explain(ex)) }),
	    h('details', { class: 'raw', open: true },
		h('summary', { text: 'Request' }),
		h('pre', { class: 'req', text: requestText(ex) })),
	    h('details', { class: 'raw', open: true },
		h('summary', { text: 'Response' }),
		h('pre', { class: 'res', text: responseText(ex) })));
	for (const d of box.querySelectorAll('details[open]'))
		d.open = false;
	box.prepend(entry);
	while (box.children.length > MAX_LOG)
		box.lastElementChild.remove();
}

function defaultSummary(ex) {
	if (ex.status === 204)
		return 'Done (204, no body).';
	if (ex.status === 201)
		return 'Created.';
	return 'Loaded.';
}

// --- requests -------------------------------------------------------------

function url(side, path) {
	return new URL(SIDES[side].prefix + path, document.baseURI).href;
}

// One HTTP exchange.  opts: side ('storefront'|'backend'), method, path,
// body (object, sent as JSON:API), form (object, sent form-encoded), token,
// mfaCode, quiet (not logged), summary(ex) (the log's readable line).
export async function send(opts) {
	const side = opts.side || 'storefront';
	const ex = { method: opts.method || 'GET', url: url(side, opts.path), reqHeaders: {},
		headers: {}, status: 0, statusText: '' };
	const init = { method: ex.method, headers: ex.reqHeaders, credentials: 'omit',
		cache: 'no-store', redirect: 'error' };
	ex.reqHeaders.Accept = opts.form ? 'application/json' : JSONAPI;
	if (opts.body !== undefined) {
		ex.reqHeaders['Content-Type'] = JSONAPI;
		ex.reqBody = init.body = JSON.stringify(opts.body);
	} else if (opts.form !== undefined) {
		ex.reqHeaders['Content-Type'] = 'application/x-www-form-urlencoded';
		ex.reqBody = init.body = new URLSearchParams(opts.form).toString();
		ex.reqForm = true;
	}
	if (opts.token)
		ex.reqHeaders.Authorization = `Bearer ${opts.token}`;
	if (opts.mfaCode !== undefined)
		ex.reqHeaders['X-MFA-Code'] = opts.mfaCode;
	const t0 = performance.now();
	try {
		const res = await fetch(ex.url, init);
		ex.status = res.status;
		ex.statusText = res.statusText || REASON[res.status] || '';
		res.headers.forEach((v, k) => { ex.headers[k] = v; });
		ex.text = await res.text();
		if (ex.text) {
			try {
				ex.json = JSON.parse(ex.text);
			} catch (e) {
				ex.json = undefined;
			}
		}
	} catch (e) {
		ex.networkError = e.message || String(e);
	}
	ex.ms = Math.round(performance.now() - t0);
	if (!opts.quiet)
		logExchange(ex, opts.summary && ex.status ? opts.summary(ex) : undefined);
	return ex;
}

// Renews the session with its refresh token; true on success.
export async function refresh(side) {
	const s = session(side);
	if (!s || !s.refreshToken)
		return false;
	const ex = side === 'backend' ?
	    await send({ side, method: 'POST', path: 'token',
		form: { grant_type: 'refresh_token', refresh_token: s.refreshToken },
		summary: (x) => x.status === 200 ? 'Session renewed with the refresh token.' : explain(x) }) :
	    await send({ side, method: 'POST', path: 'refresh-tokens',
		body: { data: { type: 'refresh-tokens', attributes: { refreshToken: s.refreshToken } } },
		summary: (x) => x.status === 201 ? 'Session renewed with the refresh token.' : explain(x) });
	if (ex.status === (side === 'backend' ? 200 : 201)) {
		storeTokens(side, ex);
		return true;
	}
	if (ex.status && ex.status < 500)
		clearSession(side);
	return false;
}

// A request with the side's bearer token.  An expired access token
// (401, code 001) is renewed once with the refresh token and the request
// repeated.
export async function call(opts) {
	const side = opts.side || 'storefront';
	let s = session(side);
	if (!s)
		return { status: 0, headers: {}, notSignedIn: true, networkError: null,
			json: { errors: [{ code: '002', detail: 'Missing access token.' }] } };
	let ex = await send(Object.assign({}, opts, { token: s.accessToken }));
	if (ex.status === 401 && errorCode(ex) === '001' && await refresh(side)) {
		s = session(side);
		ex = await send(Object.assign({}, opts, { token: s.accessToken }));
	}
	return ex;
}

// {data:{type, attributes}}: the JSON:API request document.
export function doc(type, attributes, id) {
	const data = { type, attributes };
	if (id !== undefined)
		data.id = id;
	return { data };
}

export function sideName(side) {
	return SIDES[side].name;
}
