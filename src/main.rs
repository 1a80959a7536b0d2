fn main() {
    std::process::exit(shiprig::cli::main());
}
