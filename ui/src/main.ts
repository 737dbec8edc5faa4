import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";

// Load the CJK fallback face at start: a web font is fetched only when text first needs it,
// and until it arrives that text is drawn as empty boxes.
void document.fonts.load("16px 'Trailproof CJK'", "山").catch(() => {});

const target = document.getElementById("app");
if (!target) throw new Error("no #app element");
export default mount(App, { target });
