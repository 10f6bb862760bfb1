-- Driven by tests/editor_neovim.rs: open a Dockerfile, wait for stacklint's diagnostics,
-- apply the DKR005 quick fix through Neovim's own code action machinery, write what
-- happened to $RESULT, quit.
local out = assert(os.getenv('RESULT'))
local function finish(lines)
  local f = assert(io.open(out, 'w'))
  f:write(table.concat(lines, '\n'), '\n')
  f:close()
  vim.cmd('qa!')
end

package.path = os.getenv('REPO') .. '/editors/neovim/?.lua;' .. package.path
require('stacklint').setup({ cmd = { os.getenv('STACKLINT_BIN'), 'server' } })

vim.cmd.edit(os.getenv('PROJECT') .. '/Dockerfile')
local buf = vim.api.nvim_get_current_buf()
local function find(code)
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.code == code then return d end
  end
end
if not vim.wait(60000, function() return find('DKR005') ~= nil end, 50) then
  local clients = #vim.lsp.get_clients({ bufnr = buf })
  return finish({ 'FAIL: no DKR005 diagnostic (filetype ' .. vim.bo.filetype .. ', clients ' .. clients .. ')' })
end
local d = find('DKR005')
local lines = { 'diagnostic: ' .. d.code .. ' ' .. d.source .. ' line ' .. (d.lnum + 1) }

vim.api.nvim_win_set_cursor(0, { d.lnum + 1, d.col })
vim.lsp.buf.code_action({
  apply = true,
  filter = function(a) return a.title == 'Add `--no-cache-dir`' end,
})
local fixed = vim.wait(30000, function()
  return vim.api.nvim_buf_get_lines(buf, d.lnum, d.lnum + 1, false)[1]:find('--no-cache-dir', 1, true) ~= nil
end, 50)
table.insert(lines, 'fixed: ' .. tostring(fixed))
table.insert(lines, 'line: ' .. vim.api.nvim_buf_get_lines(buf, d.lnum, d.lnum + 1, false)[1])
-- Diagnostics follow the edit: DKR005 goes away.
local gone = vim.wait(30000, function() return find('DKR005') == nil end, 50)
table.insert(lines, 'DKR005 gone: ' .. tostring(gone))
finish(lines)
