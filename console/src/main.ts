import "./styles.css";
import { start } from "./router.js";

// The console's entry: the router draws the page the URL names (router.ts); pages get a
// PageContext (context.ts) and never import the router or each other's frames.
void start();
