import { fileURLToPath } from 'node:url';
import express from 'express';

// A small Express app of the kind that already runs on a server: cookies, JSON, a form, a static file.
export const app = express();

const logo = fileURLToPath(new URL('./public/logo.png', import.meta.url));

app.post('/login', (_req, res) => {
  const expires = new Date(Date.now() + 24 * 60 * 60 * 1000);
  res.cookie('session', 'abc123', { expires, httpOnly: true, path: '/' });
  res.cookie('theme', 'dark', { expires, path: '/' });
  res.json({ loggedIn: true });
});

app.post('/logout', (_req, res) => {
  res.clearCookie('session', { path: '/' });
  res.clearCookie('theme', { path: '/' });
  res.json({ loggedIn: false });
});

app.get('/api/items', (req, res) => {
  res.json({ query: req.query });
});

app.post('/api/items', express.json(), (req, res) => {
  res.status(201).json({ created: req.body });
});

app.post('/form', express.urlencoded({ extended: false }), (req, res) => {
  res.type('text').send(`Thanks, ${req.body.name} <${req.body.email}>`);
});

app.get('/logo.png', (_req, res) => {
  res.sendFile(logo);
});

app.get('/error', () => {
  throw new Error('Something broke');
});
