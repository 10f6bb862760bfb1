use std::io;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let code = stacklint::main_with_args(std::env::args(), &mut io::stdout(), &mut io::stderr());
    std::process::exit(code);
}
