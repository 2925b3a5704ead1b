// office-signin.html: POST /backend/token, the OAuth 2.0 password grant
// (form-encoded, contract §3.3).  The Backend API has no revocation endpoint:
// signing out forgets the tokens in this tab.
import { h, $, say, busy, values, clear, put } from './dom.js';
import { session, storeTokens, refresh, showError } from './api.js';
import { frame, signOut } from './page.js';
import { signInCall } from './prompt.js';

frame();
const form = $('#signin'), msg = $('#msg'), state = $('#state');

function render() {
	const s = session('backend');
	clear(state);
	if (!s) {
		put(state, h('p', { text: 'No back-office user is signed in on this tab.' }));
		form.hidden = false;
		$('#signed-in-actions').hidden = true;
		return;
	}
	put(state, h('p', { id: 'signed-in' }, 'Signed in to the back office as ',
	    h('strong', { text: s.username }), '.'),
	    h('p', { class: 'hint', text: `The access token expires at ${new Date(s.expiresAt).toLocaleTimeString()}.` }));
	form.hidden = true;
	$('#signed-in-actions').hidden = false;
}

form.addEventListener('submit', (ev) => {
	ev.preventDefault();
	busy(form, async () => {
		const v = values(form);
		say(msg, 'busy', 'Signing in…');
		const ex = await signInCall({ side: 'backend', method: 'POST', path: 'token',
			form: { grant_type: 'password', username: v.username, password: v.password },
			summary: (x) => x.status === 200 ? 'Signed in: access and refresh token issued.' : null });
		if (ex === null) {
			say(msg, 'info', 'Not signed in: cancelled.');
			return;
		}
		if (ex.status !== 200) {
			showError(msg, ex, 'Not signed in:');
			return;
		}
		form.elements.password.value = '';
		storeTokens('backend', ex, { username: v.username });
		say(msg, 'ok', 'Signed in. Next: ', h('a', { href: 'office-users.html', text: 'users' }), ', ',
		    h('a', { href: 'office-mfa.html', text: 'your MFA' }), ' or ',
		    h('a', { href: 'office-rescue.html', text: 'rescue a customer' }), '.');
		render();
	});
});

$('#signout').addEventListener('click', async () => {
	await signOut('backend');
	say(msg, 'ok', 'Signed out here. (The Backend API has no revocation endpoint: the tokens stay valid until they expire.)');
	render();
});

$('#renew').addEventListener('click', async () => {
	if (await refresh('backend'))
		say(msg, 'ok', 'Renewed with the refresh_token grant.');
	else
		say(msg, 'err', 'The session could not be renewed. Please sign in again.');
	render();
});

render();
