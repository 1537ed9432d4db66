/**
 * A Node-RED context store for tests, kept in a JSON file (`config.path`) so that it survives a restart, whose reads
 * fail while the file `config.failReads` exists: a store that cannot be read at start (a network share or a database
 * not up yet), without a test hook in the product. Plugin API of Node-RED's context stores.
 */
const fs = require('node:fs');
const { structuredClone } = globalThis;

module.exports = function flakyContextStore(config) {
  let data = {};
  const write = () => fs.writeFileSync(config.path, JSON.stringify(data));
  const failing = () => fs.existsSync(config.failReads);
  return {
    open() {
      data = fs.existsSync(config.path) ? JSON.parse(fs.readFileSync(config.path, 'utf8')) : {};
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
    get(scope, key, callback) {
      if (typeof callback !== 'function') throw new Error('this store is asynchronous: pass a callback');
      if (failing()) return callback(new Error('the store cannot be reached (test)'));
      const value = data[scope]?.[key];
      callback(null, value === undefined ? undefined : structuredClone(value));
    },
    set(scope, key, value, callback) {
      data[scope] ??= {};
      if (value === undefined) delete data[scope][key];
      else data[scope][key] = structuredClone(value);
      write();
      if (typeof callback === 'function') callback(null);
    },
    keys(scope, callback) {
      callback(null, Object.keys(data[scope] ?? {}));
    },
    delete(scope) {
      delete data[scope];
      write();
      return Promise.resolve();
    },
    clean: () => Promise.resolve(),
  };
};
