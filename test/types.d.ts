// express4 and koa2 are npm aliases of express@4 and koa@2; their API is typed by @types/express and @types/koa.
declare module 'express4' {
  import e = require('express');
  export = e;
}

declare module 'koa2' {
  import Koa = require('koa');
  export = Koa;
}
