use ambient_lsp::model::*;
fn main() {
    println!("Resource {}", std::mem::size_of::<Resource>());
    println!("Body {}", std::mem::size_of::<Body>());
    println!("Workload {}", std::mem::size_of::<Workload>());
    println!(
        "AuthorizationPolicy {}",
        std::mem::size_of::<AuthorizationPolicy>()
    );
    println!("VirtualService {}", std::mem::size_of::<VirtualService>());
    println!("DestinationRule {}", std::mem::size_of::<DestinationRule>());
    println!("Service {}", std::mem::size_of::<Service>());
    println!(
        "Labels {} Label {}",
        std::mem::size_of::<Labels>(),
        std::mem::size_of::<Label>()
    );
    println!("Container {}", std::mem::size_of::<Container>());
    println!(
        "Finding {}",
        std::mem::size_of::<ambient_lsp::finding::Finding>()
    );
    println!("Node {}", std::mem::size_of::<ambient_lsp::yaml::Node>());
    println!("Value {}", std::mem::size_of::<serde_json::Value>());
}
