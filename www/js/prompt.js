// Protected actions (contract §4.3): when the server answers 403 with code
// 5900, ask for a verification code (offering to mail one) or a recovery
// code (contract §8), and repeat the request with the X-MFA-Code header.
// 5901, 5911 and 5912 are shown in plain words, the last two with a
// Retry-After countdown.

import { h, $, clear, put, say, countdown, duration } from './dom.js';
import { call, send, doc, errorCode, explain, retryAfter, showError } from './api.js';
import { answer, assertion } from './webauthn.js';

let dlg = null;

function dialog() {
	if (dlg)
		return dlg;
	const el = h('dialog', { id: 'code-dialog', 'aria-labelledby': 'code-h' },
	    h('form', { method: 'dialog', class: 'stack', id: 'code-form', novalidate: true },
		h('h2', { id: 'code-h', text: 'Verification code needed' }),
		h('p', { id: 'code-why' }),
		h('div', { class: 'field', id: 'code-method-field' },
		    h('label', { for: 'code-method', text: 'Method' }),
		    h('select', { id: 'code-method', name: 'method' })),
		h('div', { class: 'row' },
		    h('button', { type: 'button', id: 'code-send', class: 'secondary', text: 'Send me a code' }),
		    h('a', { href: 'mailbox.html', target: '_blank', rel: 'noopener', id: 'code-mailbox',
			text: 'Open the mailbox (new tab)' })),
		h('p', { id: 'code-sent', class: 'msg', role: 'status', hidden: true }),
		h('div', { class: 'field' },
		    h('label', { for: 'code-input', id: 'code-label', text: 'Code' }),
		    h('input', { id: 'code-input', name: 'code', inputmode: 'numeric',
			autocomplete: 'one-time-code', pattern: '[0-9]*', maxlength: '10',
			'aria-describedby': 'code-msg' })),
		h('div', { class: 'row' },
		    h('button', { type: 'button', id: 'code-recovery', class: 'secondary small',
			'aria-pressed': 'false', text: 'Use a recovery code instead' })),
		h('p', { id: 'code-msg', class: 'msg', role: 'alert', hidden: true }),
		h('div', { class: 'row' },
		    h('button', { type: 'submit', id: 'code-ok', value: 'ok', text: 'Confirm' }),
		    h('button', { type: 'button', id: 'code-cancel', class: 'secondary', text: 'Cancel' }))));
	document.body.append(el);
	dlg = el;
	return el;
}

// The code field takes a method's code (digits) or a recovery code
// (XXXX-XXXX-XXXX-XXXX, letters too).
function recoveryMode(el, on) {
	const input = $('#code-input', el), toggle = $('#code-recovery', el);
	$('#code-label', el).textContent = on ? 'Recovery code' : 'Code';
	input.setAttribute('inputmode', on ? 'text' : 'numeric');
	input.setAttribute('autocomplete', on ? 'off' : 'one-time-code');
	input.setAttribute('maxlength', on ? '24' : '10');
	if (on) {
		input.removeAttribute('pattern');
		input.setAttribute('placeholder', 'XXXX-XXXX-XXXX-XXXX');
		input.setAttribute('autocapitalize', 'characters');
	} else {
		input.setAttribute('pattern', '[0-9]*');
		input.removeAttribute('placeholder');
		input.removeAttribute('autocapitalize');
	}
	toggle.setAttribute('aria-pressed', on ? 'true' : 'false');
	toggle.textContent = on ? 'Use a code from a method instead' : 'Use a recovery code instead';
}

// After a recovery code was spent: the server says when few are left.
function recoveryLeft(ex, side) {
	const left = ex && ex.headers ? ex.headers['x-mfa-recovery-codes-remaining'] : undefined;
	if (left === undefined)
		return;
	const main = $('main');
	const old = $('#recovery-left');
	if (old)
		old.remove();
	const note = h('p', { id: 'recovery-left', class: 'msg info', role: 'status' },
	    `Only ${left} recovery code${left === '1' ? '' : 's'} left: make a new set on the `,
	    h('a', { href: side === 'backend' ? 'office-mfa.html' : 'mfa.html', text: 'MFA page' }), '.');
	if (main)
		main.prepend(note);
}

// The methods of the account that are switched on (for the trigger).
async function activeMethods(side) {
	const ex = await call({ side, path: 'multi-factor-auth-types', quiet: true });
	if (ex.status !== 200 || !ex.json || !Array.isArray(ex.json.data))
		return [];
	return ex.json.data.filter((m) => m.attributes && m.attributes.status === 'activated')
	    .map((m) => m.id);
}

// POST multi-factor-auth-trigger for type; reports in el.
export async function trigger(side, type, el, button) {
	if (type === 'totp') {	// nothing to send (contract §6.4)
		say(el, 'info', 'Enter the code your authenticator app shows now.');
		return null;
	}
	say(el, 'busy', 'Sending a code…');
	const ex = await call({ side, method: 'POST', path: 'multi-factor-auth-trigger',
		body: doc('multi-factor-auth-trigger', { type }),
		summary: (x) => x.status === 204 ? `A code (${type}) was sent. It is in the mailbox.` : null });
	if (ex.status === 204) {
		say(el, 'ok', `A code was sent (${type}).`,
		    h('span', { 'data-dev': true }, ' Look in your mailbox: ',
		        h('a', { href: 'mailbox.html', target: '_blank', rel: 'noopener', text: 'open the mailbox' }), '.'));
		return ex;
	}
	showError(el, ex);
	const wait = retryAfter(ex);
	if (button && wait && errorCode(ex) === '5912') {
		button.disabled = true;
		const label = button.textContent;
		countdown(button, wait, (left) => left > 0 ? `${label} (${duration(left)})` : label,
		    () => { button.disabled = false; });
	}
	return ex;
}

// Asks for a code until the repeated request is accepted (or fails for
// another reason), or the user cancels.  Resolves to the final exchange,
// or null when cancelled.
//   side, what: sentence naming the action, methods: fixed list of
//   method ids (default: the account's active ones), repeat(code): the
//   request again with the header.
//   signIn: at sign-in (contract §10.12): no token, so no trigger; the
//   server has mailed a code if a method sends them.  passkey: the
//   request options the sign-in's 5900 carried (a passkey is active).
function askCode({ side, what, methods, repeat, signIn, passkey }) {
	const el = dialog();
	const form = $('#code-form', el), input = $('#code-input', el);
	const msg = $('#code-msg', el), sent = $('#code-sent', el);
	const select = $('#code-method', el), sendBtn = $('#code-send', el);
	const ok = $('#code-ok', el), cancel = $('#code-cancel', el);

	clear($('#code-why', el));
	put($('#code-why', el), signIn ? [what, ' needs your second factor. ',
	    passkey ? 'Use your passkey, or enter a code (mailed, your app\'s or a recovery code).' :
	    'Enter the code just mailed to you, your authenticator app\'s code or a recovery code.'] :
	    [what, ' is protected by multi-factor authentication. ',
	    'Enter a code you received, or ask for one.']);
	sendBtn.parentElement.hidden = !!signIn && !passkey;
	input.value = '';
	for (const m of [msg, sent]) {
		if (m._stopCountdown)
			m._stopCountdown();
		m.hidden = true;
	}
	for (const b of [ok, sendBtn]) {
		if (b._stopCountdown)
			b._stopCountdown();
		b.disabled = false;
	}
	ok.textContent = 'Confirm';
	sendBtn.textContent = passkey ? 'Use my passkey' : 'Send me a code';
	recoveryMode(el, false);

	return new Promise((resolve) => {
		const done = (result) => {
			form.removeEventListener('submit', onSubmit);
			sendBtn.removeEventListener('click', onSend);
			select.removeEventListener('change', onMethod);
			$('#code-recovery', el).removeEventListener('click', onToggle);
			cancel.removeEventListener('click', onCancel);
			el.removeEventListener('cancel', onEsc);
			if (el.open)
				el.close();
			resolve(result);
		};
		const onSubmit = async (ev) => {
			ev.preventDefault();
			const code = input.value.trim();
			if (!code) {
				say(msg, 'err', 'Enter the code first.');
				input.focus();
				return;
			}
			await tryCode(code);
		};
		const tryCode = async (code) => {
			ok.disabled = true;
			say(msg, 'busy', 'Checking…');
			const ex = await repeat(code);
			ok.disabled = false;
			const c = errorCode(ex);
			if (c === '5901' || c === '5900') {
				say(msg, 'err', explain(ex));
				input.select();
				input.focus();
			} else if (c === '5911') {
				ok.disabled = true;
				showError(msg, ex);
				const wait = retryAfter(ex);
				if (wait)
					countdown(ok, wait, (left) => left > 0 ? `Confirm (${duration(left)})` : 'Confirm',
					    () => { ok.disabled = false; });
			} else {
				done(ex);
			}
		};
		// A passkey answers a fresh challenge: its assertion is the code
		// (contract §12.4), sent at once.
		// At sign-in the 5900's options are the challenge (a refused
		// assertion leaves it live).
		const onSend = async () => {
			if (!passkey && select.value !== 'webauthn')
				return trigger(side, select.value, sent, sendBtn);
			say(sent, 'busy', 'Waiting for your passkey…');
			let code = null;
			try {
				code = await (passkey ? answer(passkey) : assertion(side));
			} catch (err) {
				say(sent, 'err', `No passkey answered (${err.name}).`);
				return null;
			}
			if (code === null) {
				say(sent, 'err', 'No challenge for the passkey.');
				return null;
			}
			sent.hidden = true;
			return tryCode(code);
		};
		const onMethod = () => {
			sendBtn.textContent = passkey || select.value === 'webauthn' ?
			    'Use my passkey' : 'Send me a code';
		};
		select.addEventListener('change', onMethod);
		const onToggle = () => {
			recoveryMode(el, $('#code-recovery', el).getAttribute('aria-pressed') !== 'true');
			input.value = '';
			input.focus();
		};
		const onCancel = () => done(null);
		const onEsc = (ev) => { ev.preventDefault(); done(null); };
		form.addEventListener('submit', onSubmit);
		sendBtn.addEventListener('click', onSend);
		$('#code-recovery', el).addEventListener('click', onToggle);
		cancel.addEventListener('click', onCancel);
		el.addEventListener('cancel', onEsc);

		el.showModal();
		input.focus();
		if (signIn) {
			$('#code-method-field', el).hidden = true;
			return;
		}
		(methods ? Promise.resolve(methods) : activeMethods(side)).then((list) => {
			clear(select);
			for (const m of list.length ? list : ['email'])
				select.append(h('option', { value: m, text: m }));
			$('#code-method-field', el).hidden = select.options.length < 2;
			onMethod();
		});
	});
}

// Sends a request; on 5900 asks for a code and repeats it with X-MFA-Code.
// Resolves to the final exchange, or null when the user cancelled.
export async function protectedCall(opts, what, methods) {
	const ex = await call(opts);
	if (errorCode(ex) !== '5900')
		return ex;
	const done = await askCode({ side: opts.side || 'storefront', what, methods,
		repeat: (code) => call(Object.assign({}, opts, { mfaCode: code })) });
	recoveryLeft(done, opts.side || 'storefront');
	return done;
}

// A sign-in answered 5900 (mfa_at_sign_in, contract §10.12): asks for the
// code and repeats the sign-in with X-MFA-Code.  Resolves to the final
// exchange, or null when the user cancelled.
export async function signInCall(opts) {
	const ex = await send(opts);
	if (errorCode(ex) !== '5900')
		return ex;
	const side = opts.side || 'storefront';
	// A passkey's request options: JSON:API meta, or the OAuth body's.
	const j = ex.json || {};
	const passkey = (j.errors && j.errors[0] && j.errors[0].meta &&
	    j.errors[0].meta.publicKey) || j.publicKey || null;
	const done = await askCode({ side, what: 'Signing in', signIn: true, passkey,
		repeat: (code) => send(Object.assign({}, opts, { mfaCode: code })) });
	recoveryLeft(done, side);
	return done;
}
