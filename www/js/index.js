// index.html: only the shared frame.
import { frame } from './page.js';

frame();
