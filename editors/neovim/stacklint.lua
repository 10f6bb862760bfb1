-- stacklint for Neovim >= 0.11 (vim.lsp.config / vim.lsp.enable).
--
--   require('stacklint').setup()                      -- `stacklint` on PATH
--   require('stacklint').setup({ cmd = { '/path/to/stacklint', 'server' },
--                                settings = { target = 'cpus=4,memory=8GiB' } })
--
-- settings: target, select, ignore, extendSelect, unsafeFixes (see README.md).
-- watch_files = true: report file changes to the server, which then keeps what it read
-- of the disk (Neovim does not offer this on Linux by default; install inotify-tools).
local M = {}

-- Filetypes Neovim does not know: PostgreSQL's and Redis's configuration, Procfiles,
-- and nginx files outside /etc/nginx.
local function add_filetypes()
  vim.filetype.add({
    filename = {
      ['postgresql.conf'] = 'pgconf',
      ['postgresql.auto.conf'] = 'pgconf',
      ['redis.conf'] = 'redis',
      ['sentinel.conf'] = 'redis',
      ['nginx.conf'] = 'nginx',
      ['Procfile'] = 'procfile',
    },
    pattern = {
      ['redis[%w_.-]*%.conf'] = 'redis',
      ['.*/postgres[%w_.-]*/.*%.conf'] = 'pgconf',
      ['.*/pg[%w_.-]*/.*%.conf'] = 'pgconf',
      ['.*/nginx/.*%.conf'] = 'nginx',
      ['.*/conf%.d/.*%.conf'] = 'nginx',
      ['.*/sites%-available/.*'] = 'nginx',
      ['.*/sites%-enabled/.*'] = 'nginx',
    },
  })
end

M.filetypes = {
  'dockerfile', 'python', 'yaml', 'nginx', 'pgconf', 'redis', 'procfile', 'sh',
  'systemd', 'dosini', 'requirements', 'toml',
}

function M.setup(opts)
  opts = opts or {}
  add_filetypes()
  local settings = opts.settings or {}
  local capabilities = nil
  if opts.watch_files then
    capabilities = vim.tbl_deep_extend('force', vim.lsp.protocol.make_client_capabilities(),
      { workspace = { didChangeWatchedFiles = { dynamicRegistration = true } } })
  end
  vim.lsp.config('stacklint', {
    capabilities = capabilities,
    cmd = opts.cmd or { 'stacklint', 'server' },
    filetypes = opts.filetypes or M.filetypes,
    root_markers = { 'stacklint.toml', '.stacklint.toml', 'pyproject.toml', 'compose.yaml',
      'docker-compose.yml', 'manage.py', '.git' },
    init_options = settings,
    settings = { stacklint = settings },
  })
  vim.lsp.enable('stacklint')
end

return M
