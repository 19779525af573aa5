// htm bound to Preact's h: html`<div class=${x}>…</div>` builds Preact elements without a compile step.
import { h } from '../vendor/preact.mjs';
import htm from '../vendor/htm.mjs';

export const html = htm.bind(h);
