/**
 * Start: choose the transport (Electron preload, or the browser-mode client with the token from the URL),
 * then mount the app. Without a way to reach the host, say what to do instead of showing an empty shell.
 */
import { mount } from 'svelte';
import App from './App.svelte';
import { setClient } from './lib/api/client.ts';
import { chooseClient } from './lib/api/select.ts';
import NoConnection from './views/NoConnection.svelte';
import './styles/tokens.css';
import './styles/base.css';
import './styles/controls.css';

const target = document.getElementById('app')!;
const choice = chooseClient();
if (choice.ok) {
  setClient(choice.client);
  mount(App, { target });
} else {
  mount(NoConnection, { target, props: { message: choice.message } });
}
