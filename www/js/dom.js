// DOM helpers for the manual-testing pages.  Every value reaches the page
// as text (textContent, Node.append of strings, setAttribute): nothing is
// ever parsed as HTML, so data from the API cannot inject markup.

// h('p', {class: 'x', on: {click: fn}}, 'text', child...): one element.
export function h(tag, props, ...children) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(props || {})) {
		if (v === undefined || v === null || v === false)
			continue;
		if (k === 'class')
			el.className = v;
		else if (k === 'text')
			el.textContent = v;
		else if (k === 'dataset')
			Object.assign(el.dataset, v);
		else if (k === 'on')
			for (const [ev, fn] of Object.entries(v))
				el.addEventListener(ev, fn);
		else if (/^on/i.test(k) || k === 'srcdoc' || k === 'style')
			throw new Error(`h(): refusing attribute ${k}`);
		else
			el.setAttribute(k, v === true ? '' : String(v));
	}
	put(el, children);
	return el;
}

// Appends children (nodes, strings, arrays of them; null skipped).
export function put(el, children) {
	for (const c of [children].flat(Infinity)) {
		if (c === null || c === undefined || c === false)
			continue;
		el.append(c instanceof Node ? c : String(c));
	}
	return el;
}

export function clear(el) {
	el.replaceChildren();
	return el;
}

export function $(sel, root) {
	return (root || document).querySelector(sel);
}

export function $$(sel, root) {
	return Array.from((root || document).querySelectorAll(sel));
}

// "4 min 05 s" / "12 s".
export function duration(s) {
	const m = Math.floor(s / 60), r = s % 60;
	return m ? `${m} min ${String(r).padStart(2, '0')} s` : `${r} s`;
}

// Counts down from seconds, rendering render(left) into el each second;
// done() runs at zero.  Returns a function that stops it.  Starting a new
// countdown on the same element stops the previous one.
export function countdown(el, seconds, render, done) {
	const end = Date.now() + Math.max(0, seconds) * 1000;
	let timer = null;
	const stop = () => {
		clearInterval(timer);
		if (el._stopCountdown === stop)
			el._stopCountdown = null;
	};
	const tick = () => {
		const left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
		clear(el);
		put(el, render(left));
		if (left <= 0) {
			stop();
			if (done)
				done();
		}
	};
	if (el._stopCountdown)
		el._stopCountdown();
	el._stopCountdown = stop;
	timer = setInterval(tick, 250);
	tick();
	return stop;
}

// A message region (role=status): kind is ok, err, info or busy.
export function say(el, kind, ...parts) {
	if (el._stopCountdown)
		el._stopCountdown();
	el.className = `msg ${kind}`;
	clear(el);
	put(el, parts);
	el.hidden = false;
	return el;
}

// Runs fn with the form's buttons disabled (no double submits).
export async function busy(form, fn) {
	const buttons = $$('button, input[type=submit]', form);
	const was = buttons.map((b) => b.disabled);
	buttons.forEach((b) => { b.disabled = true; });
	form.setAttribute('aria-busy', 'true');
	try {
		return await fn();
	} finally {
		buttons.forEach((b, i) => { b.disabled = was[i]; });
		form.removeAttribute('aria-busy');
	}
}

// The form's named fields as an object of trimmed strings (checkboxes as
// booleans).  Password fields are not trimmed.
export function values(form) {
	const out = {};
	for (const el of form.elements) {
		if (!el.name)
			continue;
		if (el.type === 'checkbox')
			out[el.name] = el.checked;
		else if (el.type === 'password')
			out[el.name] = el.value;
		else
			out[el.name] = el.value.trim();
	}
	return out;
}

// A table cell with its column name (shown beside the value when rows are
// stacked on narrow screens); the content is wrapped in one element so it
// stays together.
export function cell(label, ...content) {
	return h('td', { 'data-label': label }, h('span', { class: 'cell' }, content));
}
