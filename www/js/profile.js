// profile.html: the customer's own data (GET/PATCH /customers/{ref}) and
// the password change (PATCH /customer-password/{ref}); both writes are
// protected actions (contract §4.3) and go through the code prompt.  The
// locale (contract §10.9) is the language of the customer's mails.
import { h, $, say, busy, values } from './dom.js';
import { call, doc, session, saveSession, showError } from './api.js';
import { frame, requireSession, fieldErrors } from './page.js';
import { protectedCall } from './prompt.js';

frame();
const form = $('#profile'), pw = $('#password'), msg = $('#msg'), pwMsg = $('#pw-msg');
const FIELDS = ['salutation', 'firstName', 'lastName', 'email', 'locale'];
// Selects whose empty choice is never sent (PATCH keeps what is absent).
const OPTIONAL = ['salutation', 'locale'];
let current = null;

function fill(attrs) {
	current = attrs;
	const locale = form.elements.locale;
	// A locale the list does not name (de_AT, set elsewhere) is shown as it is.
	if (attrs.locale && !Array.from(locale.options).some((o) => o.value === attrs.locale))
		locale.append(h('option', { value: attrs.locale, text: attrs.locale }));
	// Once set, a locale cannot be cleared through the API: no "Default".
	locale.options[0].disabled = !!attrs.locale;
	for (const k of FIELDS)
		form.elements[k].value = attrs[k] || '';
}

async function load() {
	const ex = await call({ path: 'customers',
		summary: (x) => x.status === 200 ? `Customer ${x.json.data[0].id} loaded.` : null });
	if (ex.status !== 200) {
		showError(msg, ex, 'Could not load the profile:');
		return null;
	}
	const me = ex.json.data[0];
	const s = session('storefront');
	s.customerReference = me.id;
	s.email = me.attributes.email;
	saveSession('storefront', s);
	$('#ref').textContent = me.id;
	fill(me.attributes);
	return me.id;
}

form.addEventListener('submit', (ev) => {
	ev.preventDefault();
	busy(form, async () => {
		const v = values(form), attrs = {};
		for (const k of FIELDS)	/* only what changed is sent */
			if (v[k] !== (current[k] || '') && !(OPTIONAL.includes(k) && v[k] === ''))
				attrs[k] = v[k];
		if (!Object.keys(attrs).length) {
			say(msg, 'info', 'Nothing changed.');
			return;
		}
		const ref = session('storefront').customerReference;
		say(msg, 'busy', 'Saving…');
		const ex = await protectedCall({ method: 'PATCH', path: `customers/${encodeURIComponent(ref)}`,
			body: doc('customers', attrs, ref),
			summary: (x) => x.status === 200 ? 'Profile saved.' : null }, 'Changing your profile');
		fieldErrors(form, ex);
		if (ex === null) {
			say(msg, 'info', 'Cancelled; nothing was saved.');
		} else if (ex.status === 200) {
			fill(ex.json.data.attributes);
			const s = session('storefront');
			s.email = ex.json.data.attributes.email;
			saveSession('storefront', s);
			say(msg, 'ok', 'Saved.');
		} else {
			showError(msg, ex, 'Not saved:');
		}
	});
});

pw.addEventListener('submit', (ev) => {
	ev.preventDefault();
	busy(pw, async () => {
		const v = values(pw);
		const ref = session('storefront').customerReference;
		say(pwMsg, 'busy', 'Changing the password…');
		const ex = await protectedCall({ method: 'PATCH', path: `customer-password/${encodeURIComponent(ref)}`,
			body: doc('customer-password', { password: v.password, newPassword: v.newPassword,
				confirmPassword: v.confirmPassword }, ref),
			summary: (x) => x.status === 204 ? 'Password changed; the other sessions are signed out.' : null },
		    'Changing your password');
		fieldErrors(pw, ex);
		if (ex === null) {
			say(pwMsg, 'info', 'Cancelled; the password is unchanged.');
		} else if (ex.status === 204) {
			pw.reset();
			say(pwMsg, 'ok', 'Password changed. This tab stays signed in; every other session was signed out.');
		} else {
			showError(pwMsg, ex, 'Not changed:');
		}
	});
});

if (requireSession('storefront', $('#content')))
	load();
else
	$('#pw-section').hidden = true;
