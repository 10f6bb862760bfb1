;;; stacklint-eglot.el --- stacklint's language server in Eglot  -*- lexical-binding: t; -*-

;; Requires Emacs 29+ (Eglot built in) and `stacklint' on `exec-path'.
;;
;;   (load "/path/to/editors/emacs/stacklint-eglot.el")
;;   (add-hook 'dockerfile-ts-mode-hook #'eglot-ensure)   ; and the modes below you use
;;
;; Eglot runs one server per buffer: for Python buffers this replaces your Python server
;; unless you choose stacklint for them only in deployment folders.

;;; Code:

(require 'eglot)

(defgroup stacklint nil "The stacklint language server." :group 'tools)

(defcustom stacklint-program "stacklint"
  "The stacklint executable."
  :type 'string)

(defcustom stacklint-settings nil
  "Overrides of the project's stacklint.toml, e.g.
\\='(:target \"cpus=4,memory=8GiB\" :ignore [\"DKR003\"] :unsafeFixes t)."
  :type 'plist)

(define-derived-mode stacklint-pgconf-mode conf-space-mode "pgconf"
  "PostgreSQL's postgresql.conf.")

(define-derived-mode stacklint-redisconf-mode conf-space-mode "redisconf"
  "Redis's redis.conf.")

(add-to-list 'auto-mode-alist '("postgresql\\(\\.auto\\)?\\.conf\\'" . stacklint-pgconf-mode))
(add-to-list 'auto-mode-alist '("/postgres[^/]*/[^/]*\\.conf\\'" . stacklint-pgconf-mode))
(add-to-list 'auto-mode-alist '("redis[^/]*\\.conf\\'" . stacklint-redisconf-mode))

(defconst stacklint-modes
  '(dockerfile-mode dockerfile-ts-mode yaml-mode yaml-ts-mode nginx-mode
    stacklint-pgconf-mode stacklint-redisconf-mode)
  "Major modes whose buffers stacklint lints.")

(add-to-list 'eglot-server-programs
             `(,stacklint-modes
               . (lambda (&rest _)
                   (list stacklint-program "server"
                         :initializationOptions stacklint-settings))))

(provide 'stacklint-eglot)
;;; stacklint-eglot.el ends here
