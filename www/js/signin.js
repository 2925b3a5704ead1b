// signin.html: POST /access-tokens (sign-in), DELETE /refresh-tokens/mine
// (sign-out), POST /refresh-tokens (renewal), contract §3.1; the code
// asked for when mfa_at_sign_in wants it (§10.12, prompt.js).
import { h, $, say, busy, values, clear, put } from './dom.js';
import { call, doc, session, saveSession, storeTokens, refresh, showError } from './api.js';
import { frame, signOut } from './page.js';
import { signInCall } from './prompt.js';

frame();
const form = $('#signin'), msg = $('#msg'), state = $('#state');

function render() {
	const s = session('storefront');
	clear(state);
	if (!s) {
		put(state, h('p', { text: 'Nobody is signed in on this tab.' }));
		form.hidden = false;
		$('#signed-in-actions').hidden = true;
		return;
	}
	put(state, h('p', { id: 'signed-in' }, 'Signed in as ', h('strong', { text: s.email }),
	    s.customerReference ? ` (customer ${s.customerReference})` : '', '.'),
	    h('p', { class: 'hint', text: `The access token expires at ${new Date(s.expiresAt).toLocaleTimeString()}; the page renews it with the refresh token when the server says it expired.` }));
	form.hidden = true;
	$('#signed-in-actions').hidden = false;
}

form.addEventListener('submit', (ev) => {
	ev.preventDefault();
	busy(form, async () => {
		const v = values(form);
		say(msg, 'busy', 'Signing in…');
		const ex = await signInCall({ method: 'POST', path: 'access-tokens',
			body: doc('access-tokens', { username: v.username, password: v.password }),
			summary: (x) => x.status === 201 ? 'Signed in: access and refresh token issued.' : null });
		if (ex === null) {
			say(msg, 'info', 'Not signed in: cancelled.');
			return;
		}
		if (ex.status !== 201) {
			showError(msg, ex, 'Not signed in:');
			return;
		}
		form.elements.password.value = '';
		storeTokens('storefront', ex, { email: v.username });
		// Who am I: the collection holds exactly the signed-in customer.
		const me = await call({ path: 'customers',
			summary: (x) => x.status === 200 ? `This is customer ${x.json.data[0].id}.` : null });
		if (me.status === 200 && me.json.data[0]) {
			const s = session('storefront');
			s.customerReference = me.json.data[0].id;
			s.email = me.json.data[0].attributes.email;
			saveSession('storefront', s);
		}
		say(msg, 'ok', 'Signed in. Next: ', h('a', { href: 'mfa.html', text: 'multi-factor authentication' }),
		    ' or ', h('a', { href: 'profile.html', text: 'your profile' }), '.');
		render();
	});
});

$('#signout').addEventListener('click', async () => {
	const ex = await signOut('storefront');
	if (ex && ex.status !== 204)
		showError(msg, ex, 'The server did not confirm the sign-out; the tokens were forgotten here anyway:');
	else
		say(msg, 'ok', 'Signed out.');
	render();
});

$('#renew').addEventListener('click', async () => {
	if (await refresh('storefront'))
		say(msg, 'ok', 'Renewed: a new access token and a new refresh token (the old refresh token no longer works).');
	else
		say(msg, 'err', 'The session could not be renewed. Please sign in again.');
	render();
});

const pre = new URLSearchParams(location.search).get('email');
if (pre)
	form.elements.username.value = pre;
render();
